using System.Security.Cryptography;

namespace HaloPortal.Engine.Parsing;

/// <summary>
/// Message-IDs of mail HaloPortal sends: "&lt;hp.{deploymentId}.{32 hex}@haloportal.mail&gt;". The deployment id
/// inside lets a deployment recognise its own mail (and another instance's) when it comes back.
/// </summary>
internal static class PortalMessageId
{
    /// <summary>The domain part of the ids created here.</summary>
    public const string Domain = "haloportal.mail";

    private const string Prefix = "hp.";

    /// <summary>A new Message-ID (with angle brackets) carrying <paramref name="deploymentId"/>.</summary>
    /// <exception cref="ArgumentException">The id is empty or has characters a Message-ID cannot carry.</exception>
    public static string Create(string deploymentId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(deploymentId);
        foreach (var c in deploymentId)
        {
            if (!IsAllowed(c))
                throw new ArgumentException($"The deployment id '{deploymentId}' can only contain letters, digits and - _ . characters.", nameof(deploymentId));
        }
        if (deploymentId.StartsWith('.') || deploymentId.EndsWith('.') || deploymentId.Contains("..", StringComparison.Ordinal))
            throw new ArgumentException($"The deployment id '{deploymentId}' cannot start or end with a dot or contain two dots in a row.", nameof(deploymentId));

        var random = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        return $"<{Prefix}{deploymentId}.{random}@{Domain}>";
    }

    /// <summary>
    /// Reads the deployment id out of a Message-ID created by <see cref="Create"/> (with or without brackets).
    /// Any domain is accepted; the "hp." prefix and the 32-hex random part identify the format.
    /// </summary>
    public static bool TryGetDeploymentId(string? messageId, out string deploymentId)
    {
        deploymentId = "";
        if (string.IsNullOrWhiteSpace(messageId))
            return false;
        var id = messageId.Trim();
        if (id.StartsWith('<') && id.EndsWith('>'))
            id = id[1..^1].Trim();
        var at = id.LastIndexOf('@');
        if (at <= 0)
            return false;
        var local = id[..at];
        if (!local.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
            return false;
        var lastDot = local.LastIndexOf('.');
        if (lastDot <= Prefix.Length)
            return false;
        var random = local[(lastDot + 1)..];
        if (random.Length != 32 || !random.All(char.IsAsciiHexDigit))
            return false;
        var deployment = local[Prefix.Length..lastDot];
        if (deployment.Length == 0 || !deployment.All(IsAllowed))
            return false;
        deploymentId = deployment;
        return true;
    }

    private static bool IsAllowed(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.';
}
