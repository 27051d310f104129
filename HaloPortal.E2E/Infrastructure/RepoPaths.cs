namespace HaloPortal.E2E.Infrastructure;

/// <summary>Where things are on disk, found from the test assembly's own output folder.</summary>
internal static class RepoPaths
{
    /// <summary>The repository root: the first folder upwards that holds HaloPortal.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The repository's <c>artifacts/</c> folder (git-ignored): screenshots, logs, test results.</summary>
    public static string Artifacts => Path.Combine(Root, "artifacts");

    /// <summary>
    /// The built portal for the same configuration and framework as these tests:
    /// <c>HaloPortal.E2E/bin/&lt;Config&gt;/&lt;tfm&gt;/</c> → <c>HaloPortal/bin/&lt;Config&gt;/&lt;tfm&gt;/HaloPortal.dll</c>.
    /// </summary>
    public static string PortalAssembly()
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = output.Name;
        var configuration = output.Parent?.Name
            ?? throw new InvalidOperationException($"Cannot tell the build configuration from the test output folder {output.FullName}.");
        var dll = Path.Combine(Root, "HaloPortal", "bin", configuration, framework, "HaloPortal.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException(
                $"The portal is not built at {dll}. Build the solution first (bash build/test.sh does), e.g. dotnet build HaloPortal.sln -c {configuration}.", dll);
        }

        return dll;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "HaloPortal.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"HaloPortal.sln was not found in any folder above {AppContext.BaseDirectory}.");
    }
}
