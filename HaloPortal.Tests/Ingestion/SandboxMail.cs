using System.Text;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Sandbox;
using HaloPortal.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Ingestion;

/// <summary>Builds raw messages and delivers them into the sandbox demo tenant's support mailbox; runs imports of the demo mailbox.</summary>
internal sealed class SandboxMail(PortalAppFactory app)
{
    public const int DemoMailboxId = 1;

    public SandboxDemoTenant Demo => app.Services.GetRequiredService<ISandboxDemo>().GetAsync().GetAwaiter().GetResult()
        ?? throw new InvalidOperationException("The sandbox demo tenant was not seeded.");

    public ISandboxControl Control => app.Services.GetRequiredService<ISandboxControl>();

    public IMailboxScanner Scanner => app.Services.GetRequiredService<IMailboxScanner>();

    public static string NewMessageId(string domain = "customer.example") => $"{Guid.NewGuid():N}@{domain}";

    public static string Mime(string from, string to, string subject, string body, string messageId, string? inReplyTo = null, string? extraHeaders = null, DateTimeOffset? date = null)
    {
        var builder = new StringBuilder();
        builder.Append($"From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: {(date ?? DateTimeOffset.UtcNow):R}\r\nMessage-ID: <{messageId}>\r\n");
        if (inReplyTo is not null)
        {
            builder.Append($"In-Reply-To: <{inReplyTo}>\r\nReferences: <{inReplyTo}>\r\n");
        }

        if (extraHeaders is not null)
        {
            builder.Append(extraHeaders.TrimEnd('\r', '\n')).Append("\r\n");
        }

        builder.Append("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n").Append(body).Append("\r\n");
        return builder.ToString();
    }

    public async Task<SandboxDeliveredMessage> DeliverAsync(string mime, string? mailbox = null) =>
        await Control.DeliverMimeAsync(mailbox ?? Demo.SharedMailbox, new MemoryStream(Encoding.UTF8.GetBytes(mime)));

    public Task<ScanReport> ImportAsync() => Scanner.ImportAsync(DemoMailboxId);
}
