using HaloPortal.Engine.Data;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Outbound;
using HaloPortal.Sandbox;
using HaloPortal.Sandbox.Data;
using HaloPortal.Tests.Infrastructure;
using HaloPortal.Tests.Ingestion;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;

namespace HaloPortal.Tests.Outbound;

/// <summary>Helpers for outbound tests: portal queries, waiting for the background sender, reading delivered MIME from the sandbox.</summary>
internal sealed class OutboundKit(PortalAppFactory app)
{
    public SandboxMail Mail { get; } = new(app);

    public T Get<T>() where T : notnull => app.Services.GetRequiredService<T>();

    public async Task<T> QueryAsync<T>(Func<PortalDbContext, Task<T>> query)
    {
        await using var db = await Get<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        return await query(db);
    }

    public Task<InboundEmail> EmailAsync(string messageId) =>
        QueryAsync(db => db.Set<InboundEmail>().AsNoTracking().SingleAsync(e => e.InternetMessageId == messageId));

    /// <summary>A licensed user of the demo tenant, with its own mailbox, to receive what the portal sends.</summary>
    public async Task<string> CreateRequesterAsync(string localPart, string displayName)
    {
        var upn = $"{localPart}-{Guid.NewGuid():N}"[..(localPart.Length + 9)] + "@" + Mail.Demo.DefaultDomain;
        await Mail.Control.CreateUserAsync(Mail.Demo.TenantId.ToString(), new SandboxNewUser(upn, displayName, "Requester-Pass-123", SandboxMailboxType.Licensed));
        return upn;
    }

    /// <summary>Waits (with a deadline) until the outbound message reached a final state.</summary>
    public async Task<OutboundInfo> WaitSentAsync(long outboundId, OutboundStatus expected = OutboundStatus.Sent)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var info = await Get<IReplies>().GetAsync(outboundId) ?? throw new InvalidOperationException($"Outbound message {outboundId} does not exist.");
            if (info.Status == expected)
            {
                return info;
            }

            if (DateTime.UtcNow > deadline || (info.Status is OutboundStatus.Failed or OutboundStatus.Sent && info.Status != expected))
            {
                throw new TimeoutException($"Outbound message {outboundId} is {info.Status} ({info.LastError}), expected {expected}.");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>The raw message the sandbox delivered into <paramref name="mailbox"/>'s inbox with this Message-ID, once it arrived.</summary>
    public async Task<(MimeMessage Message, byte[] Raw)> ReceivedAsync(string mailbox, string internetMessageId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var inbox = await Mail.Control.ListMessagesAsync(mailbox, "inbox");
            if (inbox.FirstOrDefault(m => m.InternetMessageId?.Trim('<', '>') == internetMessageId) is { } found)
            {
                await using var db = await Get<IDbContextFactory<SandboxDbContext>>().CreateDbContextAsync();
                var raw = await db.MessageContents.AsNoTracking().Where(c => c.MessageId == found.Id).Select(c => c.Mime).SingleAsync();
                return (MimeMessage.Load(new MemoryStream(raw)), raw);
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"No message <{internetMessageId}> arrived in {mailbox}.");
            }

            await Task.Delay(50);
        }
    }

    public async Task<IReadOnlyList<SandboxMessageInfo>> InboxAsync(string mailbox) => await Mail.Control.ListMessagesAsync(mailbox, "inbox");
}
