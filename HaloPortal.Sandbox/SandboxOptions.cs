using System.ComponentModel.DataAnnotations;

namespace HaloPortal.Sandbox;

/// <summary>Settings of the sandbox tenant, bound from the <c>Sandbox</c> configuration section.</summary>
public sealed class SandboxOptions
{
    public const string SectionName = "Sandbox";

    /// <summary>Serve the sandbox under <c>/sandbox</c>. On by default only in the Development environment; elsewhere only when set (with a start-up warning).</summary>
    public bool Enabled { get; set; }

    /// <summary>The portal's own address for reaching the sandbox (e.g. http://127.0.0.1:5080); discovered from the server when empty.</summary>
    [Url(ErrorMessage = "Sandbox:BaseUrl must be an absolute http(s) URL such as http://127.0.0.1:5080, or empty to discover it.")]
    public string? BaseUrl { get; set; }

    /// <summary>The longest lifetime of a mail subscription in minutes (Graph documents 10,080 now, 4,230 earlier).</summary>
    [Range(45, 100_000, ErrorMessage = "Sandbox:SubscriptionMaxExpirationMinutes must be between 45 and 100000.")]
    public int SubscriptionMaxExpirationMinutes { get; set; } = 10_080;

    /// <summary>Lifetime of issued access tokens, in seconds.</summary>
    [Range(300, 86_400, ErrorMessage = "Sandbox:AccessTokenLifetimeSeconds must be between 300 and 86400.")]
    public int AccessTokenLifetimeSeconds { get; set; } = 3599;

    /// <summary>A refresh token unused for this many days expires (AADSTS700082).</summary>
    [Range(1, 3650, ErrorMessage = "Sandbox:RefreshTokenInactiveDays must be between 1 and 3650.")]
    public int RefreshTokenInactiveDays { get; set; } = 90;

    /// <summary>Requests per app and mailbox allowed in <see cref="ThrottleWindowSeconds"/>.</summary>
    [Range(1, 1_000_000, ErrorMessage = "Sandbox:ThrottleRequestsPerWindow must be between 1 and 1000000.")]
    public int ThrottleRequestsPerWindow { get; set; } = 10_000;

    [Range(1, 86_400, ErrorMessage = "Sandbox:ThrottleWindowSeconds must be between 1 and 86400.")]
    public int ThrottleWindowSeconds { get; set; } = 600;

    /// <summary>Concurrent requests per app and mailbox.</summary>
    [Range(1, 1000, ErrorMessage = "Sandbox:MaxConcurrentRequests must be between 1 and 1000.")]
    public int MaxConcurrentRequests { get; set; } = 4;

    /// <summary>How long failed notification deliveries are retried, in hours.</summary>
    [Range(0.01, 48, ErrorMessage = "Sandbox:NotificationRetryHours must be between 0.01 and 48.")]
    public double NotificationRetryHours { get; set; } = 4;

    /// <summary>Answers slower than this count as slow (Graph: about 2.9 s).</summary>
    /// <summary>How long an attachment upload session (createUploadSession) accepts chunks.</summary>
    [Range(1, 1440, ErrorMessage = "Sandbox:AttachmentUploadSessionMinutes must be between 1 and 1440.")]
    public int AttachmentUploadSessionMinutes { get; set; } = 360;

    [Range(0.1, 60, ErrorMessage = "Sandbox:SlowResponseSeconds must be between 0.1 and 60.")]
    public double SlowResponseSeconds { get; set; } = 2.9;

    /// <summary>How long the validation handshake waits for the notification endpoint (Graph: 10 s).</summary>
    [Range(1, 60, ErrorMessage = "Sandbox:ValidationTimeoutSeconds must be between 1 and 60.")]
    public int ValidationTimeoutSeconds { get; set; } = 10;

    /// <summary>
    /// Hosts (exact names, e.g. <c>webhooks.test.example.com</c>) the sandbox may call besides loopback addresses and the portal's own
    /// address (<c>Portal:PublicBaseUrl</c>, <c>Sandbox:BaseUrl</c>): subscription validation, notification delivery, federated issuers.
    /// </summary>
    public List<string> AllowedCallbackHosts { get; set; } = [];

    /// <summary>Seed the demo tenant ("Contoso (sandbox)") on first start.</summary>
    public bool SeedDemoTenant { get; set; } = true;
}
