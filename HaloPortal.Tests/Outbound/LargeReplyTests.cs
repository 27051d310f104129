using System.Security.Cryptography;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Outbound;
using HaloPortal.Engine.Tickets;
using HaloPortal.Tests.Ingestion;
using Microsoft.EntityFrameworkCore;
using MimeKit;

namespace HaloPortal.Tests.Outbound;

/// <summary>Replies too large for sendMail go out as a draft, their large files uploaded through Graph upload sessions in chunks.</summary>
public sealed class LargeReplyTests(GraphRecordingPortalFactory app) : IClassFixture<GraphRecordingPortalFactory>
{
    private readonly OutboundKit _kit = new(app);

    private async Task<(Ticket Ticket, string Requester)> OpenTicketAsync(string subject)
    {
        var requester = await _kit.CreateRequesterAsync("lena", "Lena Large");
        var first = SandboxMail.NewMessageId("contoso.sandbox");
        await _kit.Mail.DeliverAsync(SandboxMail.Mime($"Lena Large <{requester}>", _kit.Mail.Demo.SharedMailbox, subject, "Send me the logs.", first));
        await _kit.Mail.ImportAsync();
        var ticketId = (await _kit.EmailAsync(first)).TicketId!.Value;
        return (await _kit.QueryAsync(db => db.Set<Ticket>().AsNoTracking().SingleAsync(t => t.Id == ticketId)), requester);
    }

    private static byte[] Random(int bytes)
    {
        var data = new byte[bytes];
        new Random(bytes).NextBytes(data);
        return data;
    }

    [Fact]
    public async Task A_20_MB_attachment_is_uploaded_in_chunks_and_arrives_byte_for_byte_with_the_small_files_and_the_portal_headers()
    {
        var (ticket, requester) = await OpenTicketAsync("Need the 20 MB log bundle");
        var big = Random(20 * 1024 * 1024);
        var medium = Random(2_500_000); // over the MIME budget left, under 3 MB: added to the draft in one request
        var small = "1. Unzip\n2. Read"u8.ToArray();
        app.GraphRequests.Clear();

        var queued = await _kit.Get<IReplies>().SendAsync(ticket.Id, new ReplyAuthor(Actor.User("agent@contoso.sandbox"), "Agent Smith"), "<p>Here are the logs.</p>",
            [new ReplyAttachment("logs.zip", "application/zip", big), new ReplyAttachment("trace.bin", "application/octet-stream", medium), new ReplyAttachment("readme.txt", "text/plain", small)]);
        var sent = await _kit.WaitSentAsync(queued.Id);

        var (mime, _) = await _kit.ReceivedAsync(requester, sent.InternetMessageId);
        var files = mime.Attachments.OfType<MimePart>().ToDictionary(p => p.FileName ?? "", Content);
        Assert.Equal(["logs.zip", "readme.txt", "trace.bin"], files.Keys.Order());
        Assert.Equal(Convert.ToHexString(SHA256.HashData(big)), Convert.ToHexString(SHA256.HashData(files["logs.zip"])));
        Assert.Equal(Convert.ToHexString(SHA256.HashData(medium)), Convert.ToHexString(SHA256.HashData(files["trace.bin"])));
        Assert.Equal(small, files["readme.txt"]);
        Assert.Equal(sent.InternetMessageId, mime.MessageId);
        Assert.Contains($"[Ticket #{ticket.Number}]", mime.Subject);
        Assert.False(mime.Headers.Contains("Auto-Submitted"));

        var requests = app.GraphRequests.ToList();
        Assert.DoesNotContain(requests, r => r.Contains("/sendMail", StringComparison.Ordinal));
        Assert.Single(requests, r => r.StartsWith("POST", StringComparison.Ordinal) && r.Split('?')[0].EndsWith("/messages", StringComparison.Ordinal));
        Assert.Single(requests, r => r.StartsWith("POST", StringComparison.Ordinal) && r.EndsWith("/attachments", StringComparison.Ordinal));
        Assert.Single(requests, r => r.Contains("/attachments/createUploadSession", StringComparison.Ordinal));
        Assert.Equal((big.Length + DraftSender.ChunkBytes - 1) / DraftSender.ChunkBytes, requests.Count(r => r.StartsWith("PUT", StringComparison.Ordinal) && r.Contains("/attachmentUploads/", StringComparison.Ordinal)));
        Assert.Single(requests, r => r.StartsWith("POST", StringComparison.Ordinal) && r.EndsWith("/send", StringComparison.Ordinal));

        // The draft became the Sent Items copy (what a retry's Sent Items check finds); nothing is left in Drafts.
        Assert.Single(await _kit.Mail.Control.ListMessagesAsync(_kit.Mail.Demo.SharedMailbox, "sentitems"), m => m.InternetMessageId?.Trim('<', '>') == sent.InternetMessageId);
        Assert.DoesNotContain(await _kit.Mail.Control.ListMessagesAsync(_kit.Mail.Demo.SharedMailbox, "drafts"), m => m.InternetMessageId?.Trim('<', '>') == sent.InternetMessageId);
    }

    /// <summary>Waits (with a deadline) until the message's first attempt ended without sending it.</summary>
    private async Task<OutboundInfo> WaitAttemptFailedAsync(long id)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var info = (await _kit.Get<IReplies>().GetAsync(id))!;
            if (info.LastErrorCode is not null && info.Status is OutboundStatus.Queued or OutboundStatus.Failed)
            {
                return info;
            }

            Assert.True(DateTime.UtcNow < deadline, $"Outbound message {id} is {info.Status}; expected a failed attempt.");
            Assert.NotEqual(OutboundStatus.Sent, info.Status);
            await Task.Delay(50);
        }
    }

    private async Task<int> CopiesAsync(string mailbox, string folder, string internetMessageId) =>
        (await _kit.Mail.Control.ListMessagesAsync(mailbox, folder)).Count(m => m.InternetMessageId?.Trim('<', '>') == internetMessageId);

    [Fact]
    public async Task A_send_whose_answer_was_lost_is_found_in_Sent_Items_on_retry_and_not_sent_twice()
    {
        var (ticket, requester) = await OpenTicketAsync("Answer lost");
        var lost = 0;
        app.LoseAnswer = r => r.StartsWith("POST", StringComparison.Ordinal) && r.EndsWith("/send", StringComparison.Ordinal) && Interlocked.Exchange(ref lost, 1) == 0;
        try
        {
            var queued = await _kit.Get<IReplies>().SendAsync(ticket.Id, new ReplyAuthor(Actor.System, "Agent"), "<p>Big file.</p>",
                [new ReplyAttachment("big.bin", "application/octet-stream", Random(4 * 1024 * 1024))]);
            var failed = await WaitAttemptFailedAsync(queued.Id);
            Assert.Equal(1, await CopiesAsync(_kit.Mail.Demo.SharedMailbox, "sentitems", queued.InternetMessageId)); // it did go out

            await _kit.Get<IReplies>().RetryAsync(queued.Id, Actor.System);
            var sent = await _kit.WaitSentAsync(queued.Id);

            await _kit.ReceivedAsync(requester, sent.InternetMessageId);
            Assert.Equal(1, await CopiesAsync(requester, "inbox", sent.InternetMessageId));
            Assert.Equal(1, await CopiesAsync(_kit.Mail.Demo.SharedMailbox, "sentitems", sent.InternetMessageId));
            Assert.Equal(0, await CopiesAsync(_kit.Mail.Demo.SharedMailbox, "drafts", sent.InternetMessageId));
            Assert.NotNull(failed.LastError);
        }
        finally
        {
            app.LoseAnswer = null;
        }
    }

    [Fact]
    public async Task A_draft_left_by_a_refused_upload_is_removed_when_the_reply_is_retried_and_one_copy_is_sent()
    {
        var (ticket, requester) = await OpenTicketAsync("Upload refused");
        var refused = 0;
        app.Refuse = r => r.Contains("/attachments/createUploadSession", StringComparison.Ordinal) && Interlocked.Exchange(ref refused, 1) == 0;
        try
        {
            var queued = await _kit.Get<IReplies>().SendAsync(ticket.Id, new ReplyAuthor(Actor.System, "Agent"), "<p>Big file.</p>",
                [new ReplyAttachment("big.bin", "application/octet-stream", Random(4 * 1024 * 1024 + 1))]);
            await WaitAttemptFailedAsync(queued.Id);
            Assert.Equal(1, await CopiesAsync(_kit.Mail.Demo.SharedMailbox, "drafts", queued.InternetMessageId));

            await _kit.Get<IReplies>().RetryAsync(queued.Id, Actor.System);
            var sent = await _kit.WaitSentAsync(queued.Id);

            await _kit.ReceivedAsync(requester, sent.InternetMessageId);
            Assert.Equal(1, await CopiesAsync(requester, "inbox", sent.InternetMessageId));
            Assert.Equal(0, await CopiesAsync(_kit.Mail.Demo.SharedMailbox, "drafts", sent.InternetMessageId));
            Assert.Equal(1, await CopiesAsync(_kit.Mail.Demo.SharedMailbox, "sentitems", sent.InternetMessageId));
        }
        finally
        {
            app.Refuse = null;
        }
    }

    [Fact]
    public async Task Attachments_over_150_MB_in_all_are_refused_when_queued()
    {
        var (ticket, _) = await OpenTicketAsync("Too large");

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => _kit.Get<IReplies>().SendAsync(ticket.Id, new ReplyAuthor(Actor.System, "Agent"), "<p>Files.</p>",
            [new ReplyAttachment("a.bin", "application/octet-stream", new byte[100 * 1024 * 1024]), new ReplyAttachment("b.bin", "application/octet-stream", new byte[51 * 1024 * 1024])]));

        Assert.Contains("at most 150 MB", ex.Message);
    }

    private static byte[] Content(MimePart part)
    {
        using var buffer = new MemoryStream();
        part.Content!.DecodeTo(buffer);
        return buffer.ToArray();
    }
}
