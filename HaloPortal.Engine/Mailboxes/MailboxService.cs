using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Nodes;
using HaloPortal.Engine.Portal;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace HaloPortal.Engine.Mailboxes;

/// <summary>A mailbox in lists: its name, type and the state of this instance's credential.</summary>
public sealed record MailboxSummary(int Id, string Name, MailboxConnectionType ConnectionType, bool IncomingEnabled, int CredentialCount, CredentialView? ThisInstance, DateTimeOffset CreatedAt);

/// <summary>A mailbox with all its credentials.</summary>
public sealed record MailboxDetails(int Id, string Name, MailboxConnectionType ConnectionType, bool IncomingEnabled, DateTimeOffset CreatedAt, IReadOnlyList<CredentialView> Credentials)
{
    /// <summary>The Incoming tab's settings.</summary>
    public IncomingSettings Incoming { get; init; } = IncomingSettings.Default;

    public CredentialView? ForInstance(PortalInstance instance) => Credentials.FirstOrDefault(c => c.Instance == instance);
}

public interface IMailboxes
{
    Task<IReadOnlyList<MailboxSummary>> ListAsync(CancellationToken cancellationToken = default);

    Task<MailboxDetails?> GetAsync(int id, CancellationToken cancellationToken = default);

    /// <exception cref="ArgumentException">Name missing or taken, or an unsupported connection type.</exception>
    Task<MailboxDetails> CreateAsync(string name, MailboxConnectionType connectionType, Actor actor, CancellationToken cancellationToken = default);

    Task<MailboxDetails> RenameAsync(int id, string name, Actor actor, CancellationToken cancellationToken = default);

    /// <summary>Saves the Incoming tab's settings (audited).</summary>
    /// <exception cref="ArgumentException">A setting is missing or out of range (the message says what to change).</exception>
    /// <exception cref="KeyNotFoundException">No such mailbox.</exception>
    Task<MailboxDetails> UpdateIncomingAsync(int mailboxId, IncomingSettings settings, Actor actor, CancellationToken cancellationToken = default);

    /// <summary>Deletes the mailbox and its credentials.</summary>
    Task<bool> DeleteAsync(int id, Actor actor, CancellationToken cancellationToken = default);

    /// <summary>Raised after any mailbox or credential change, so open screens refresh.</summary>
    event Action<int>? Changed;
}

internal sealed class MailboxService(
    IDbContextFactory<PortalDbContext> contexts,
    TimeProvider time,
    IOptions<PortalOptions> options,
    Credentials.CredentialRetirements retirements,
    IChangeFeed feed) : IMailboxes, ICredentialOwners, IChangeTopic
{
    private const string Topic = "mailboxes";

    public event Action<int>? Changed;

    /// <summary>Raises <see cref="Changed"/> here and on the other portal nodes (through the change feed).</summary>
    internal void RaiseChanged(int mailboxId)
    {
        feed.Publish(Topic, ChangeKeys.Of(mailboxId));
        Changed?.Invoke(mailboxId);
    }

    string IChangeTopic.Topic => Topic;

    Task IChangeTopic.ApplyAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        foreach (var mailboxId in ChangeKeys.Ints(keys))
        {
            Changed?.Invoke(mailboxId);
        }

        return Task.CompletedTask;
    }

    async Task<string?> ICredentialOwners.NameOfAsync(int mailboxId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Set<Mailbox>().Where(m => m.Id == mailboxId).Select(m => m.Name).SingleOrDefaultAsync(cancellationToken);
    }

    void ICredentialOwners.CredentialsChanged(int mailboxId) => RaiseChanged(mailboxId);

    public async Task<IReadOnlyList<MailboxSummary>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var mailboxes = await db.Set<Mailbox>().AsNoTracking().Include(m => m.Credentials).OrderBy(m => m.Name).ToListAsync(cancellationToken);
        var here = options.Value.Instance;
        return mailboxes.Select(m => new MailboxSummary(m.Id, m.Name, m.ConnectionType, m.IncomingEnabled, m.Credentials.Count,
            m.Credentials.FirstOrDefault(c => c.Instance == here) is { } c ? CredentialView.From(c, here) : null, m.CreatedAt)).ToList();
    }

    public async Task<MailboxDetails?> GetAsync(int id, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var mailbox = await db.Set<Mailbox>().AsNoTracking().Include(m => m.Credentials).SingleOrDefaultAsync(m => m.Id == id, cancellationToken);
        return mailbox is null ? null : ToDetails(mailbox);
    }

    public async Task<MailboxDetails> CreateAsync(string name, MailboxConnectionType connectionType, Actor actor, CancellationToken cancellationToken = default)
    {
        var trimmed = CheckName(name);
        if (connectionType != MailboxConnectionType.Office365Azure)
        {
            throw new ArgumentException("Only the Office 365/Azure connection type is available in this version.", "connectionType");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await EnsureUniqueAsync(db, trimmed, null, cancellationToken);
        var mailbox = new Mailbox { Name = trimmed, ConnectionType = connectionType, CreatedAt = time.GetUtcNow() };
        db.Add(mailbox);
        await db.SaveChangesAsync(cancellationToken);
        db.Audit(time, actor, "Mailbox.Created", "Mailbox", mailbox.Id.ToString(), null, new { mailbox.Name, mailbox.ConnectionType });
        await db.SaveChangesAsync(cancellationToken);
        RaiseChanged(mailbox.Id);
        return ToDetails(mailbox);
    }

    public async Task<MailboxDetails> RenameAsync(int id, string name, Actor actor, CancellationToken cancellationToken = default)
    {
        var trimmed = CheckName(name);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var mailbox = await db.Set<Mailbox>().Include(m => m.Credentials).SingleOrDefaultAsync(m => m.Id == id, cancellationToken)
            ?? throw new KeyNotFoundException($"Mailbox {id} does not exist.");
        if (mailbox.Name != trimmed)
        {
            await EnsureUniqueAsync(db, trimmed, id, cancellationToken);
            var before = new { mailbox.Name };
            mailbox.Name = trimmed;
            mailbox.UpdatedAt = time.GetUtcNow();
            db.Audit(time, actor, "Mailbox.Updated", "Mailbox", id.ToString(), before, new { mailbox.Name });
            await db.SaveChangesAsync(cancellationToken);
            RaiseChanged(id);
        }

        return ToDetails(mailbox);
    }

    public async Task<MailboxDetails> UpdateIncomingAsync(int mailboxId, IncomingSettings settings, Actor actor, CancellationToken cancellationToken = default)
    {
        IncomingSettings.Validate(settings);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var mailbox = await db.Set<Mailbox>().Include(m => m.Credentials).SingleOrDefaultAsync(m => m.Id == mailboxId, cancellationToken)
            ?? throw new KeyNotFoundException($"Mailbox {mailboxId} does not exist.");
        var before = IncomingSettings.From(mailbox);
        mailbox.IncomingEnabled = settings.IncomingEnabled;
        mailbox.SourceFolder = settings.SourceFolder.Trim();
        mailbox.ProcessedAction = settings.ProcessedAction;
        mailbox.ProcessedFolderName = string.IsNullOrWhiteSpace(settings.ProcessedFolderName) ? before.ProcessedFolderName : settings.ProcessedFolderName.Trim();
        mailbox.MaxEmailSizeMb = settings.MaxEmailSizeMb;
        var after = IncomingSettings.From(mailbox);
        if (after != before)
        {
            mailbox.UpdatedAt = time.GetUtcNow();
            db.Audit(time, actor, "Mailbox.IncomingUpdated", "Mailbox", mailboxId.ToString(), before, after);
            await db.SaveChangesAsync(cancellationToken);
            RaiseChanged(mailboxId);
        }

        return ToDetails(mailbox);
    }

    public async Task<bool> DeleteAsync(int id, Actor actor, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var mailbox = await db.Set<Mailbox>().Include(m => m.Credentials).SingleOrDefaultAsync(m => m.Id == id, cancellationToken);
        if (mailbox is null)
        {
            return false;
        }

        foreach (var credential in mailbox.Credentials)
        {
            await retirements.RetiringAsync(credential.Id, "mailbox deleted", actor, cancellationToken);
        }

        db.Remove(mailbox);
        db.Audit(time, actor, "Mailbox.Deleted", "Mailbox", id.ToString(), new { mailbox.Name, mailbox.ConnectionType, Credentials = mailbox.Credentials.Count }, null);
        await db.SaveChangesAsync(cancellationToken);
        RaiseChanged(id);
        return true;
    }

    private MailboxDetails ToDetails(Mailbox m)
    {
        var here = options.Value.Instance;
        return new MailboxDetails(m.Id, m.Name, m.ConnectionType, m.IncomingEnabled, m.CreatedAt,
            m.Credentials.OrderBy(c => c.Instance).Select(c => CredentialView.From(c, here)).ToList())
        {
            Incoming = IncomingSettings.From(m),
        };
    }

    private static string CheckName(string name)
    {
        var trimmed = name?.Trim() ?? "";
        if (trimmed.Length == 0)
        {
            throw new ArgumentException("Give the mailbox a name, e.g. Support.", nameof(name));
        }

        if (trimmed.Length > 200)
        {
            throw new ArgumentException("Keep the name under 200 characters.", nameof(name));
        }

        return trimmed;
    }

    private static async Task EnsureUniqueAsync(PortalDbContext db, string name, int? exceptId, CancellationToken cancellationToken)
    {
        var taken = await db.Set<Mailbox>().AnyAsync(m => m.Name == name && m.Id != exceptId, cancellationToken);
        if (taken)
        {
            throw new ArgumentException($"A mailbox named '{name}' already exists. Choose another name.", nameof(name));
        }
    }
}
