using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace HaloPortal.Engine.Credentials;

/// <summary>
/// Federated credentials read their signed client assertion from a file; the portal reads such files only inside one folder,
/// <c>Portal:FederatedTokenDirectory</c> (default <c>&lt;content root&gt;/tokens</c>), checked when the credential is saved and again
/// before every read.
/// </summary>
internal static class FederatedTokenFiles
{
    public const string Setting = "Portal:FederatedTokenDirectory";

    /// <summary>The folder: the setting (relative to the content root) or <c>&lt;content root&gt;/tokens</c>.</summary>
    public static string Directory(IConfiguration configuration, IHostEnvironment environment) =>
        Path.TrimEndingDirectorySeparator(Path.GetFullPath(
            string.IsNullOrWhiteSpace(configuration[Setting]) ? "tokens" : configuration[Setting]!, environment.ContentRootPath));

    /// <summary>The file's full path: a relative path is taken inside <paramref name="directory"/>.</summary>
    public static string Resolve(string path, string directory) => Path.GetFullPath(path.Trim(), directory);

    /// <summary>Null when <paramref name="path"/> is a file inside <paramref name="directory"/>; else what to do, in words.</summary>
    public static string? Problem(string path, string directory)
    {
        var segments = path.Trim().Split(['/', '\\'], StringSplitOptions.RemoveEmptyEntries);
        if (segments.Any(s => s == ".."))
        {
            return $"Enter the token file's path without '..': it must be a file inside {directory} ({Setting}), e.g. {Path.Combine(directory, "azure-identity-token")}.";
        }

        var full = Resolve(path, directory);
        if (!IsInside(full, directory))
        {
            return $"The token file must be inside {directory} ({Setting}): have the token written there and enter its path (a file name alone is enough), or change {Setting} and restart.";
        }

        return null;
    }

    /// <summary>Before reading: the lexical rule, and a link (as Kubernetes projects tokens) must end inside the folder too.</summary>
    internal static string? ProblemAtRead(string path, string directory)
    {
        if (Problem(path, directory) is { } problem)
        {
            return problem;
        }

        var full = Resolve(path, directory);
        var target = File.Exists(full) ? File.ResolveLinkTarget(full, returnFinalTarget: true)?.FullName : null;
        if (target is null)
        {
            return null;
        }

        var realDirectory = System.IO.Directory.Exists(directory) ? System.IO.Directory.ResolveLinkTarget(directory, returnFinalTarget: true)?.FullName ?? directory : directory;
        return IsInside(target, directory) || IsInside(target, realDirectory)
            ? null
            : $"The token file {full} links to {target}, outside {directory} ({Setting}). Keep the token inside that folder.";
    }

    private static bool IsInside(string full, string directory)
    {
        var folder = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)) + Path.DirectorySeparatorChar;
        return Path.GetFullPath(full).StartsWith(folder, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
    }
}

/// <summary>The resolved <see cref="FederatedTokenFiles.Directory"/> of this deployment.</summary>
internal sealed record FederatedTokenDirectory(string Path);
