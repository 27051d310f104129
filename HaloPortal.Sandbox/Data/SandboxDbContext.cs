using System.Text.Json;
using HaloPortal.Engine.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace HaloPortal.Sandbox.Data;

/// <summary>The sandbox tenant's own database (<c>sandbox.db</c> beside the portal's), separate from the product's data.</summary>
internal sealed class SandboxDbContext(DbContextOptions<SandboxDbContext> options) : DbContext(options)
{
    public DbSet<SbTenant> Tenants => Set<SbTenant>();
    public DbSet<SbUser> Users => Set<SbUser>();
    public DbSet<SbMailboxDelegate> Delegates => Set<SbMailboxDelegate>();
    public DbSet<SbApplication> Applications => Set<SbApplication>();
    public DbSet<SbSecret> Secrets => Set<SbSecret>();
    public DbSet<SbCertificate> Certificates => Set<SbCertificate>();
    public DbSet<SbFederatedCredential> FederatedCredentials => Set<SbFederatedCredential>();
    public DbSet<SbAccessPolicy> AccessPolicies => Set<SbAccessPolicy>();
    public DbSet<SbGrant> Grants => Set<SbGrant>();
    public DbSet<SbAuthCode> AuthCodes => Set<SbAuthCode>();
    public DbSet<SbRefreshToken> RefreshTokens => Set<SbRefreshToken>();
    public DbSet<SbDemo> Demo => Set<SbDemo>();
    public DbSet<SbFolder> Folders => Set<SbFolder>();
    public DbSet<SbMessage> Messages => Set<SbMessage>();
    public DbSet<SbMessageContent> MessageContents => Set<SbMessageContent>();
    public DbSet<SbAttachment> Attachments => Set<SbAttachment>();
    public DbSet<SbTombstone> Tombstones => Set<SbTombstone>();
    public DbSet<SbContact> Contacts => Set<SbContact>();
    public DbSet<SbCounter> Counters => Set<SbCounter>();
    public DbSet<SbSubscription> Subscriptions => Set<SbSubscription>();
    public DbSet<SbNotification> Notifications => Set<SbNotification>();
    public DbSet<SbFault> Faults => Set<SbFault>();

    protected override void OnModelCreating(ModelBuilder b)
    {
        b.Entity<SbTenant>(e =>
        {
            e.ToTable("Tenants");
            e.HasIndex(x => x.DefaultDomain).IsUnique();
        });
        b.Entity<SbUser>(e =>
        {
            e.ToTable("Users");
            e.HasIndex(x => new { x.TenantId, x.UserPrincipalName }).IsUnique();
            e.HasIndex(x => x.UserPrincipalName);
            e.Property(x => x.UserPrincipalName).UseCollation("NOCASE");
            e.Property(x => x.MailboxType).HasConversion<string>();
        });
        b.Entity<SbMailboxDelegate>(e =>
        {
            e.ToTable("MailboxDelegates");
            e.HasKey(x => new { x.MailboxId, x.DelegateId });
        });
        b.Entity<SbApplication>(e =>
        {
            e.ToTable("Applications");
            e.HasIndex(x => new { x.TenantId, x.AppId }).IsUnique();
            Json(e.Property(x => x.RedirectUris));
            Json(e.Property(x => x.ApplicationPermissions));
            Json(e.Property(x => x.DelegatedPermissions));
        });
        b.Entity<SbSecret>(e =>
        {
            e.ToTable("Secrets");
            e.HasIndex(x => x.ApplicationId);
        });
        b.Entity<SbCertificate>(e =>
        {
            e.ToTable("Certificates");
            e.HasIndex(x => x.ApplicationId);
        });
        b.Entity<SbFederatedCredential>(e =>
        {
            e.ToTable("FederatedCredentials");
            e.HasIndex(x => x.ApplicationId);
            Json(e.Property(x => x.Audiences));
        });
        b.Entity<SbAccessPolicy>(e =>
        {
            e.ToTable("AccessPolicies");
            e.HasIndex(x => new { x.TenantId, x.AppId });
            Json(e.Property(x => x.AllowedMailboxes));
        });
        b.Entity<SbGrant>(e =>
        {
            e.ToTable("Grants");
            e.HasIndex(x => new { x.AppId, x.UserId }).IsUnique();
            Json(e.Property(x => x.Scopes));
        });
        b.Entity<SbAuthCode>(e =>
        {
            e.ToTable("AuthorizationCodes");
            Json(e.Property(x => x.Scopes));
        });
        b.Entity<SbRefreshToken>(e =>
        {
            e.ToTable("RefreshTokens");
            e.HasIndex(x => new { x.AppId, x.UserId });
            Json(e.Property(x => x.Scopes));
        });
        b.Entity<SbDemo>(e =>
        {
            e.ToTable("Demo");
            e.Property(x => x.Id).ValueGeneratedNever();
        });
        b.Entity<SbFolder>(e =>
        {
            e.ToTable("Folders");
            e.HasIndex(x => new { x.MailboxId, x.WellKnownName });
            e.HasIndex(x => new { x.MailboxId, x.ParentId });
        });
        b.Entity<SbMessage>(e =>
        {
            e.ToTable("Messages");
            e.HasIndex(x => new { x.MailboxId, x.FolderId, x.ChangeSeq });
            e.HasIndex(x => new { x.MailboxId, x.InternetMessageId });
            Json(e.Property(x => x.From));
            Json(e.Property(x => x.Sender));
            Json(e.Property(x => x.To));
            Json(e.Property(x => x.Cc));
            Json(e.Property(x => x.Bcc));
            Json(e.Property(x => x.ReplyTo));
            Json(e.Property(x => x.Categories));
        });
        b.Entity<SbMessageContent>(e =>
        {
            e.ToTable("MessageContents");
            e.HasKey(x => x.MessageId);
            Json(e.Property(x => x.Headers));
        });
        b.Entity<SbAttachment>(e =>
        {
            e.ToTable("Attachments");
            e.HasIndex(x => x.MessageId);
        });
        b.Entity<SbTombstone>(e =>
        {
            e.ToTable("Tombstones");
            e.HasIndex(x => new { x.MailboxId, x.ContainerId, x.ChangeSeq });
        });
        b.Entity<SbContact>(e =>
        {
            e.ToTable("Contacts");
            e.HasIndex(x => new { x.MailboxId, x.ChangeSeq });
        });
        b.Entity<SbCounter>(e =>
        {
            e.ToTable("Counters");
            e.HasKey(x => x.Name);
        });
        b.Entity<SbSubscription>(e =>
        {
            e.ToTable("Subscriptions");
            e.HasIndex(x => x.MailboxId);
        });
        b.Entity<SbNotification>(e =>
        {
            e.ToTable("Notifications");
            e.HasIndex(x => new { x.Status, x.NextAttemptAt });
            e.Property(x => x.Status).HasConversion<string>();
        });
        b.Entity<SbFault>(e =>
        {
            e.ToTable("Faults");
            e.Property(x => x.Kind).HasConversion<string>();
        });
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder builder)
    {
        builder.Properties<DateTimeOffset>().HaveConversion<DateTimeOffsetToBinaryConverterUtc>();
        builder.Properties<DateTimeOffset?>().HaveConversion<DateTimeOffsetToBinaryConverterUtc>();
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    private static void Json<T>(PropertyBuilder<T> property)
    {
        property.HasConversion(
            v => JsonSerializer.Serialize(v, JsonOptions),
            v => JsonSerializer.Deserialize<T>(v, JsonOptions)!,
            new ValueComparer<T>(
                (a, c) => JsonSerializer.Serialize(a, JsonOptions) == JsonSerializer.Serialize(c, JsonOptions),
                v => JsonSerializer.Serialize(v, JsonOptions).GetHashCode(StringComparison.Ordinal),
                v => JsonSerializer.Deserialize<T>(JsonSerializer.Serialize(v, JsonOptions), JsonOptions)!));
    }
}
