namespace HaloPortal.Engine.Data.KeyRing;

/// <summary>
/// How the Data Protection key ring (stored in the portal database) is protected at rest, bound from <c>Portal:DataProtection</c>.
/// The keys are encrypted with a key-encryption certificate kept apart from the database, so a copy of the database alone
/// decrypts nothing.
/// </summary>
internal sealed class KeyRingOptions
{
    public const string SectionName = "Portal:DataProtection";

    /// <summary>The key-encryption certificate: a PFX file (with its password) or a thumbprint in the X509 store. Unset: a generated one.</summary>
    public KeyCertificateOptions Certificate { get; set; } = new();

    /// <summary>Certificates that encrypted keys earlier (rotation): they still decrypt old keys, new keys use <see cref="Certificate"/>.</summary>
    public List<KeyCertificateOptions> PreviousCertificates { get; set; } = [];

    /// <summary>Where the generated certificate is kept (default <c>&lt;content root&gt;/keys</c>). Never the folder of the database.</summary>
    public string? KeyDirectory { get; set; }

    /// <summary>In the Production environment a generated certificate is refused unless this waiver is set.</summary>
    public bool AllowGeneratedCertificate { get; set; }
}

/// <summary>One certificate: <see cref="Path"/> (+ <see cref="Password"/>) or <see cref="Thumbprint"/> (+ store).</summary>
internal sealed class KeyCertificateOptions
{
    /// <summary>A PFX (PKCS#12) file with the private key; relative paths are under the content root.</summary>
    public string? Path { get; set; }

    public string? Password { get; set; }

    /// <summary>The thumbprint of a certificate with its private key in the X509 store.</summary>
    public string? Thumbprint { get; set; }

    /// <summary>The store's name (My by default).</summary>
    public string StoreName { get; set; } = "My";

    /// <summary>CurrentUser (default) or LocalMachine.</summary>
    public string StoreLocation { get; set; } = "CurrentUser";

    public bool IsSet => !string.IsNullOrWhiteSpace(Path) || !string.IsNullOrWhiteSpace(Thumbprint);
}
