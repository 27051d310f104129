using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using HaloPortal.Sandbox.Data;
using HaloPortal.Tests.Infrastructure;
using HaloPortal.Tests.Sandbox;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Graph;
using Microsoft.Graph.Models;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Graph.Users.Item.Messages.Item.Attachments.CreateUploadSession;
using MimeKit;

namespace HaloPortal.Sandbox.Tests;

/// <summary>Drafts, attachments and upload sessions as Graph serves them for mail too large for sendMail, through the real Graph SDK and raw HTTP.</summary>
public sealed class SandboxAttachmentUploadTests(FakeClockPortalFactory app) : IClassFixture<FakeClockPortalFactory>
{
    private static async Task<(GraphServiceClient Graph, Message Draft)> DraftAsync(PortalAppFactory app, SandboxTenant tenant)
    {
        var graph = app.AppGraph(tenant);
        var draft = await graph.Users[tenant.Shared].Messages.PostAsync(new Message
        {
            Subject = "Large files",
            Body = new ItemBody { ContentType = BodyType.Text, Content = "See attached." },
            ToRecipients = [new Recipient { EmailAddress = new EmailAddress { Address = tenant.User } }],
        });
        Assert.True(draft!.IsDraft);
        return (graph, draft);
    }

    private static Task<UploadSession?> SessionAsync(GraphServiceClient graph, SandboxTenant tenant, string draftId, string name, long size) =>
        graph.Users[tenant.Shared].Messages[draftId].Attachments.CreateUploadSession.PostAsync(new CreateUploadSessionPostRequestBody
        {
            AttachmentItem = new AttachmentItem { AttachmentType = AttachmentType.File, Name = name, Size = size, ContentType = "application/octet-stream" },
        });

    private static HttpRequestMessage Put(string url, byte[] data, long first, long last, long total)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, url) { Content = new ByteArrayContent(data) };
        request.Content.Headers.ContentRange = new ContentRangeHeaderValue(first, last, total);
        return request;
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) => JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    [Fact]
    public async Task An_upload_session_takes_chunks_in_order_without_a_token_checks_each_Content_Range_and_the_sent_draft_delivers_the_file_intact()
    {
        var tenant = await app.CreateTenantAsync();
        var (graph, draft) = await DraftAsync(app, tenant);
        var file = new byte[5 * 1024 * 1024 + 17];
        new Random(7).NextBytes(file);

        var session = await SessionAsync(graph, tenant, draft.Id!, "data.bin", file.Length);

        Assert.Equal(["0-"], session!.NextExpectedRanges);
        Assert.StartsWith($"https://{SandboxHosts.GraphHost}/attachmentUploads/", session.UploadUrl);
        Assert.InRange(session.ExpirationDateTime!.Value - app.Clock.GetUtcNow(), TimeSpan.FromMinutes(359), TimeSpan.FromMinutes(361));
        using var http = app.RawClient(); // no Authorization header: the URL is pre-authenticated
        const int chunk = 4 * 1024 * 1024;

        var noRange = await http.SendAsync(new HttpRequestMessage(HttpMethod.Put, session.UploadUrl) { Content = new ByteArrayContent(file[..10]) });
        var wrongTotal = await http.SendAsync(Put(session.UploadUrl!, file[..10], 0, 9, file.Length + 1));
        var tooBig = await http.SendAsync(Put(session.UploadUrl!, file[..(chunk + 1)], 0, chunk, file.Length));
        var skipped = await http.SendAsync(Put(session.UploadUrl!, file[10..20], 10, 19, file.Length));
        Assert.Equal(HttpStatusCode.BadRequest, noRange.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, wrongTotal.StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooBig.StatusCode);
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, skipped.StatusCode);
        Assert.Equal("0-", (await JsonAsync(skipped)).GetProperty("nextExpectedRanges")[0].GetString());

        var first = await http.SendAsync(Put(session.UploadUrl!, file[..chunk], 0, chunk - 1, file.Length));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal($"{chunk}-", (await JsonAsync(first)).GetProperty("nextExpectedRanges")[0].GetString());
        var last = await http.SendAsync(Put(session.UploadUrl!, file[chunk..], chunk, file.Length - 1, file.Length));
        Assert.Equal(HttpStatusCode.Created, last.StatusCode);
        Assert.Contains($"/messages('{draft.Id}')/attachments('", last.Headers.Location!.ToString());
        var again = await http.SendAsync(Put(session.UploadUrl!, file[..10], 0, 9, file.Length));
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);

        var attachments = await graph.Users[tenant.Shared].Messages[draft.Id].Attachments.GetAsync();
        Assert.Equal(file.Length, Assert.IsType<FileAttachment>(Assert.Single(attachments!.Value!)).Size);
        await graph.Users[tenant.Shared].Messages[draft.Id].Send.PostAsync();

        var inbox = await graph.Users[tenant.User].MailFolders["inbox"].Messages.GetAsync(r => r.QueryParameters.Filter = $"internetMessageId eq '{draft.InternetMessageId}'");
        var delivered = Assert.Single(inbox!.Value!);
        await using var stream = await graph.Users[tenant.User].Messages[delivered.Id].Content.GetAsync();
        var mime = await MimeMessage.LoadAsync(stream!);
        var part = Assert.Single(mime.Attachments.OfType<MimePart>());
        using var decoded = new MemoryStream();
        await part.Content!.DecodeToAsync(decoded);
        Assert.Equal(SHA256.HashData(file), SHA256.HashData(decoded.ToArray()));
        Assert.Single((await graph.Users[tenant.Shared].MailFolders["sentitems"].Messages.GetAsync())!.Value!, m => m.InternetMessageId == draft.InternetMessageId);
        Assert.Empty((await graph.Users[tenant.Shared].MailFolders["drafts"].Messages.GetAsync())!.Value!);

        var resend = await Assert.ThrowsAsync<ODataError>(() => graph.Users[tenant.User].Messages[delivered.Id].Send.PostAsync());
        Assert.Equal(400, resend.ResponseStatusCode);
    }

    [Fact]
    public async Task The_Graph_SDKs_LargeFileUploadTask_completes_an_upload_session()
    {
        var tenant = await app.CreateTenantAsync();
        var (graph, draft) = await DraftAsync(app, tenant);
        var file = new byte[9 * 1024 * 1024];
        new Random(9).NextBytes(file);
        var session = await SessionAsync(graph, tenant, draft.Id!, "sdk.bin", file.Length);

        using var stream = new MemoryStream(file);
        var result = await new LargeFileUploadTask<AttachmentItem>(session!, stream, 12 * 320 * 1024, graph.RequestAdapter).UploadAsync();

        Assert.True(result.UploadSucceeded);
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<SandboxDbContext>>().CreateDbContextAsync();
        var stored = await db.Attachments.AsNoTracking().SingleAsync(a => a.MessageId == draft.Id);
        Assert.Equal(SHA256.HashData(file), SHA256.HashData(stored.Content));
    }

    [Fact]
    public async Task An_upload_session_expires_and_one_over_150_MB_is_refused()
    {
        var tenant = await app.CreateTenantAsync();
        var (graph, draft) = await DraftAsync(app, tenant);
        var session = await SessionAsync(graph, tenant, draft.Id!, "late.bin", 1000);
        using var http = app.RawClient();
        var tooLarge = await Assert.ThrowsAsync<ODataError>(() => SessionAsync(graph, tenant, draft.Id!, "huge.bin", 150L * 1024 * 1024 + 1));
        Assert.Equal(413, tooLarge.ResponseStatusCode);
        Assert.Equal("ErrorMessageSizeExceeded", tooLarge.Error!.Code);
        var early = await http.SendAsync(Put(session!.UploadUrl!, new byte[500], 0, 499, 1000));
        Assert.Equal(HttpStatusCode.OK, early.StatusCode);

        app.Clock.Advance(TimeSpan.FromMinutes(361));
        var late = await http.SendAsync(Put(session.UploadUrl!, new byte[500], 500, 999, 1000));

        Assert.Equal(HttpStatusCode.NotFound, late.StatusCode);
        Assert.Contains("expired", (await JsonAsync(late)).GetProperty("error").GetProperty("message").GetString());
    }
}
