using System.Globalization;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace HaloPortal.Engine.Data.KeyRing;

/// <summary>
/// At start-up: when every live key of the ring was stored unencrypted (written before the key-encryption certificate existed),
/// creates a new key, encrypted, that becomes the default at once. The old keys keep decrypting what they protected until they expire.
/// </summary>
internal sealed class KeyRingProtection(
    IDbContextFactory<PortalDbContext> contexts,
    IKeyManager keys,
    TimeProvider time,
    ILogger<KeyRingProtection> logger) : IStartupTask
{
    public int Order => -20; // before anything protects new data with the old default key

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var stored = await db.DataProtectionKeys.AsNoTracking().Select(k => k.Xml).ToListAsync(cancellationToken);
        var now = time.GetUtcNow();
        var live = stored.OfType<string>().Select(XElement.Parse).Where(k => k.Name.LocalName == "key" && ExpiresAfter(k, now)).ToList();
        if (live.Count == 0 || live.Any(IsEncrypted))
        {
            return;
        }

        keys.CreateNewKey(now, now.AddDays(90));
        logger.LogWarning(
            "The Data Protection key ring held {Count} unencrypted key(s); a new key encrypted with the key-encryption certificate is now the default. " +
            "The old keys still decrypt what they protected until they expire; re-enter secrets to have them encrypted with the new key.", live.Count);
    }

    /// <summary>A key written through an XML encryptor carries <c>encryptedSecret</c> instead of a plain <c>masterKey</c>.</summary>
    internal static bool IsEncrypted(XElement key) => key.Descendants().Any(e => e.Name.LocalName == "encryptedSecret");

    private static bool ExpiresAfter(XElement key, DateTimeOffset now) =>
        key.Element("expirationDate")?.Value is not { } text
        || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var expiry)
        || expiry > now;
}
