using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace HaloPortal.Sandbox;

/// <summary>Identifiers and hashes in the shapes the real services use.</summary>
internal static class SandboxIds
{
    /// <summary>An Exchange-style item id: URL-safe base64 with '=' padding, like Graph's ids.</summary>
    public static string ItemId(string prefix)
    {
        var bytes = RandomNumberGenerator.GetBytes(46);
        return prefix + Convert.ToBase64String(bytes).Replace('+', '_').Replace('/', '-');
    }

    public static string MessageId() => ItemId("AAMkAGSbx");

    public static string FolderId() => ItemId("AAMkAGSbF");

    public static string ContactId() => ItemId("AAMkAGSbC");

    public static string AttachmentId() => ItemId("AAMkAGSbA");

    public static string ConversationId() => ItemId("AAQkAGSbQ");

    /// <summary>A client secret value in Entra's shape: three characters, a digit, "Q~", then 34 more (40 in all).</summary>
    public static string SecretValue()
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.~";
        var head = RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", 3);
        var digit = RandomNumberGenerator.GetString("0123456789", 1);
        return head + digit + "Q~" + RandomNumberGenerator.GetString(alphabet, 34);
    }

    public static string Opaque(int bytes = 32) => Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(bytes));

    public static string Sha256(string value) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(value)));

    public static bool FixedTimeEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));

    /// <summary>An Exchange change key derived from the change sequence.</summary>
    public static string ChangeKey(long seq) => "CQAAABYAAA" + Convert.ToBase64String(BitConverter.GetBytes(seq)).TrimEnd('=');

    public static string ETag(long seq) => $"W/\"{ChangeKey(seq)}\"";
}
