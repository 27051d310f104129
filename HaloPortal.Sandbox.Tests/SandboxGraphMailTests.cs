using System.Net;
using System.Text;
using System.Text.Json;
using HaloPortal.Sandbox;
using HaloPortal.Tests.Sandbox;
using HaloPortal.Tests.Infrastructure;
using Microsoft.Graph;
using Microsoft.Graph.Models;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Graph.Users.Item.Messages.Item.Move;
using Microsoft.Graph.Users.Item.SendMail;

namespace HaloPortal.Sandbox.Tests;

/// <summary>Graph mail through the real GraphServiceClient: listing and paging, reading, MIME, attachments, move, delete, delta, send.</summary>
public sealed class SandboxGraphMailTests(PortalAppFactory app) : IClassFixture<PortalAppFactory>
{
    [Fact]
    public async Task Listing_follows_nextLink_to_the_end_with_top_select_orderby_and_filter()
    {
        var tenant = await app.CreateTenantAsync();
        for (var i = 0; i < 23; i++)
        {
            await app.DeliverAsync(tenant.User, SandboxKit.Mime("someone@external.test", tenant.User, $"Message {i:D2}"));
        }

        var graph = app.AppGraph(tenant);
        var first = await graph.Users[tenant.User].MailFolders["inbox"].Messages.GetAsync(r =>
        {
            r.QueryParameters.Top = 7;
            r.QueryParameters.Select = ["subject", "isRead", "receivedDateTime"];
            r.QueryParameters.Orderby = ["receivedDateTime asc"];
        });
        Assert.StartsWith(SandboxHosts.GraphBaseUrl, first!.OdataNextLink);
        var subjects = new List<string>();
        await PageIterator<Message, MessageCollectionResponse>.CreatePageIterator(graph, first, m =>
        {
            subjects.Add(m.Subject!);
            Assert.Null(m.Body);
            return true;
        }).IterateAsync();
        Assert.Equal(Enumerable.Range(0, 23).Select(i => $"Message {i:D2}"), subjects);

        var page = await graph.Users[tenant.User].Messages.GetAsync(r => r.QueryParameters.Top = 3);
        foreach (var message in page!.Value!)
        {
            await graph.Users[tenant.User].Messages[message.Id].PatchAsync(new Message { IsRead = true });
        }

        var unread = await graph.Users[tenant.User].MailFolders["inbox"].Messages.GetAsync(r =>
        {
            r.QueryParameters.Top = 1000;
            r.QueryParameters.Filter = $"isRead eq false and receivedDateTime ge {DateTimeOffset.UtcNow.AddHours(-1):yyyy-MM-ddTHH:mm:ssZ}";
        });
        Assert.Equal(20, unread!.Value!.Count);
        Assert.Null(unread.OdataNextLink);

        var tooMany = await Assert.ThrowsAsync<ODataError>(() => graph.Users[tenant.User].Messages.GetAsync(r => r.QueryParameters.Top = 1001));
        Assert.Equal(400, tooMany.ResponseStatusCode);
    }

    [Fact]
    public async Task Message_has_html_or_text_body_by_preference_headers_recipients_and_attachments()
    {
        var tenant = await app.CreateTenantAsync();
        var mime = "From: Pat <pat@external.test>\r\nTo: Alex <" + tenant.User + ">\r\nCc: support@" + tenant.Domain + "\r\nSubject: Printer on fire\r\n" +
                   "Message-ID: <fire-1@external.test>\r\nX-Custom: yes\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n" +
                   "--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>It is <b>really</b> on fire.</p></body></html>\r\n" +
                   "--b1\r\nContent-Type: application/pdf; name=\"report.pdf\"\r\nContent-Disposition: attachment; filename=\"report.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
                   Convert.ToBase64String(Encoding.ASCII.GetBytes("%PDF-1.4 fake")) + "\r\n--b1--\r\n";
        var delivered = await app.DeliverAsync(tenant.User, mime);
        var graph = app.AppGraph(tenant);
        var messages = graph.Users[tenant.User].Messages[delivered.Id];

        var html = await messages.GetAsync(r => r.QueryParameters.Select = ["subject", "body", "internetMessageHeaders", "internetMessageId", "conversationId", "toRecipients", "ccRecipients", "from", "hasAttachments"]);
        var text = await messages.GetAsync(r => r.Headers.Add("Prefer", "outlook.body-content-type=\"text\""));

        Assert.Equal(BodyType.Html, html!.Body!.ContentType);
        Assert.Contains("<b>really</b>", html.Body.Content);
        Assert.Equal(BodyType.Text, text!.Body!.ContentType);
        Assert.Equal("It is really on fire.", text.Body.Content);
        Assert.Equal("<fire-1@external.test>", html.InternetMessageId);
        Assert.False(string.IsNullOrEmpty(html.ConversationId));
        Assert.Equal(tenant.User, html.ToRecipients!.Single().EmailAddress!.Address);
        Assert.Equal("pat@external.test", html.From!.EmailAddress!.Address);
        Assert.True(html.HasAttachments);
        Assert.Contains(html.InternetMessageHeaders!, h => h.Name == "X-Custom" && h.Value == "yes");
        Assert.Null(text.InternetMessageHeaders);

        var attachment = Assert.IsType<FileAttachment>(Assert.Single((await messages.Attachments.GetAsync())!.Value!));
        Assert.Equal("report.pdf", attachment.Name);
        Assert.Equal("%PDF-1.4 fake", Encoding.ASCII.GetString(attachment.ContentBytes!));
        var single = Assert.IsType<FileAttachment>(await messages.Attachments[attachment.Id].GetAsync());
        Assert.Equal(attachment.ContentBytes, single.ContentBytes);

        using var raw = await messages.Content.GetAsync();
        var rawText = await new StreamReader(raw!).ReadToEndAsync();
        Assert.Equal(mime, rawText);
    }

    [Fact]
    public async Task Move_answers_201_with_a_new_id_and_delete_goes_to_Deleted_Items()
    {
        var tenant = await app.CreateTenantAsync();
        var delivered = await app.DeliverAsync(tenant.User, SandboxKit.Mime("x@external.test", tenant.User, "Move me"));
        var graph = app.AppGraph(tenant);
        var folder = await graph.Users[tenant.User].MailFolders.PostAsync(new MailFolder { DisplayName = "Processed" });
        var child = await graph.Users[tenant.User].MailFolders[folder!.Id].ChildFolders.PostAsync(new MailFolder { DisplayName = "2026" });
        Assert.Single((await graph.Users[tenant.User].MailFolders[folder.Id].ChildFolders.GetAsync())!.Value!, f => f.Id == child!.Id);

        var moved = await graph.Users[tenant.User].Messages[delivered.Id].Move.PostAsync(new MovePostRequestBody { DestinationId = folder.Id });

        Assert.NotEqual(delivered.Id, moved!.Id);
        Assert.Equal(folder.Id, moved.ParentFolderId);
        Assert.Equal(delivered.InternetMessageId, moved.InternetMessageId);
        var gone = await Assert.ThrowsAsync<ODataError>(() => graph.Users[tenant.User].Messages[delivered.Id].GetAsync());
        Assert.Equal(404, gone.ResponseStatusCode);
        Assert.Equal("ErrorItemNotFound", gone.Error!.Code);
        Assert.Equal("The specified object was not found in the store.", gone.Error.Message);
        Assert.False(string.IsNullOrEmpty(gone.Error.InnerError!.RequestId));
        Assert.False(string.IsNullOrEmpty(gone.Error.InnerError.ClientRequestId));
        Assert.NotNull(gone.Error.InnerError.Date);

        await graph.Users[tenant.User].Messages[moved.Id].DeleteAsync();

        var deleted = await graph.Users[tenant.User].MailFolders["deleteditems"].Messages.GetAsync();
        Assert.Equal("Move me", Assert.Single(deleted!.Value!).Subject);
        Assert.Empty((await graph.Users[tenant.User].MailFolders[folder.Id].Messages.GetAsync())!.Value!);
    }

    [Fact]
    public async Task Moved_message_keeps_its_body_mime_and_attachments_under_new_ids()
    {
        var tenant = await app.CreateTenantAsync();
        var mime = "From: Pat <pat@external.test>\r\nTo: " + tenant.User + "\r\nSubject: Move with files\r\nMessage-ID: <move-files@external.test>\r\n" +
                   "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n" +
                   "--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>See <b>attached</b>.</p>\r\n" +
                   "--b1\r\nContent-Type: text/plain; name=\"a.txt\"\r\nContent-Disposition: attachment; filename=\"a.txt\"\r\n\r\nfirst\r\n" +
                   "--b1\r\nContent-Type: text/plain; name=\"b.txt\"\r\nContent-Disposition: attachment; filename=\"b.txt\"\r\n\r\nsecond\r\n--b1--\r\n";
        var delivered = await app.DeliverAsync(tenant.User, mime);
        var graph = app.AppGraph(tenant);
        var before = await graph.Users[tenant.User].Messages[delivered.Id].GetAsync();
        var oldAttachments = (await graph.Users[tenant.User].Messages[delivered.Id].Attachments.GetAsync())!.Value!;

        var moved = await graph.Users[tenant.User].Messages[delivered.Id].Move.PostAsync(new MovePostRequestBody { DestinationId = "archive" });

        Assert.Contains("<b>attached</b>", moved!.Body!.Content);
        Assert.Equal(before!.Subject, moved.Subject);
        Assert.Equal(before.ConversationId, moved.ConversationId);
        Assert.Equal(before.ReceivedDateTime, moved.ReceivedDateTime);
        Assert.True(moved.HasAttachments);
        Assert.NotEqual(before.ChangeKey, moved.ChangeKey);
        var archive = await graph.Users[tenant.User].MailFolders["archive"].GetAsync();
        Assert.Equal(archive!.Id, moved.ParentFolderId);
        var read = await graph.Users[tenant.User].Messages[moved.Id].GetAsync();
        Assert.Equal(moved.ChangeKey, read!.ChangeKey);
        Assert.Equal(moved.Body.Content, read.Body!.Content);
        var attachments = (await graph.Users[tenant.User].Messages[moved.Id].Attachments.GetAsync())!.Value!.Cast<FileAttachment>().OrderBy(a => a.Name).ToList();
        Assert.Equal(["a.txt", "b.txt"], attachments.Select(a => a.Name));
        Assert.Equal(["first", "second"], attachments.Select(a => Encoding.ASCII.GetString(a.ContentBytes!)));
        Assert.Empty(attachments.Select(a => a.Id).Intersect(oldAttachments.Select(a => a.Id)));
        using var raw = await graph.Users[tenant.User].Messages[moved.Id].Content.GetAsync();
        Assert.Equal(mime, await new StreamReader(raw!).ReadToEndAsync());
        var gone = await Assert.ThrowsAsync<ODataError>(() => graph.Users[tenant.User].Messages[delivered.Id].Content.GetAsync());
        Assert.Equal(404, gone.ResponseStatusCode);
        Assert.Equal("ErrorItemNotFound", gone.Error!.Code);
    }

    [Fact]
    public async Task Delta_pages_to_a_deltaLink_that_then_reports_new_and_removed_messages()
    {
        var tenant = await app.CreateTenantAsync();
        for (var i = 0; i < 12; i++)
        {
            await app.DeliverAsync(tenant.User, SandboxKit.Mime("x@external.test", tenant.User, $"Delta {i}"));
        }

        var graph = app.AppGraph(tenant);
        var delta = graph.Users[tenant.User].MailFolders["inbox"].Messages.Delta;
        var response = await delta.GetAsDeltaGetResponseAsync(r => r.Headers.Add("Prefer", "odata.maxpagesize=5"));
        var seen = new List<Message>();
        var pages = 1;
        seen.AddRange(response!.Value!);
        while (response!.OdataNextLink is { } next)
        {
            response = await delta.WithUrl(next).GetAsDeltaGetResponseAsync(r => r.Headers.Add("Prefer", "odata.maxpagesize=5"));
            seen.AddRange(response!.Value!);
            pages++;
        }

        Assert.Equal(3, pages);
        Assert.Equal(12, seen.Select(m => m.Id).Distinct().Count());
        Assert.StartsWith(SandboxHosts.GraphBaseUrl, response.OdataDeltaLink);

        var fresh = await app.DeliverAsync(tenant.User, SandboxKit.Mime("x@external.test", tenant.User, "After the round"));
        await graph.Users[tenant.User].Messages[seen[0].Id].Move.PostAsync(new MovePostRequestBody { DestinationId = "archive" });
        var changes = await delta.WithUrl(response.OdataDeltaLink).GetAsDeltaGetResponseAsync();

        Assert.Contains(changes!.Value!, m => m.Id == fresh.Id && m.Subject == "After the round");
        var removed = Assert.Single(changes.Value!, m => m.AdditionalData.ContainsKey("@removed"));
        Assert.Equal(seen[0].Id, removed.Id);
        Assert.Equal(2, changes.Value!.Count);
        Assert.NotNull(changes.OdataDeltaLink);
    }

    [Fact]
    public async Task SendMail_as_JSON_and_as_MIME_delivers_to_sandbox_recipients_and_saves_to_Sent_Items()
    {
        var tenant = await app.CreateTenantAsync();
        var graph = app.AppGraph(tenant);

        await graph.Users[tenant.User].SendMail.PostAsync(new SendMailPostRequestBody
        {
            Message = new Message
            {
                Subject = "Ticket #42 received",
                Body = new ItemBody { ContentType = BodyType.Html, Content = "<p>We are on it.</p>" },
                ToRecipients = [new Recipient { EmailAddress = new EmailAddress { Address = tenant.Shared } }],
                InternetMessageHeaders = [new InternetMessageHeader { Name = "X-HaloPortal-Instance", Value = "test" }],
            },
            SaveToSentItems = true,
        });
        var mime = SandboxKit.Mime(tenant.User, tenant.Shared, "Sent as MIME", messageId: "mime-1@" + tenant.Domain);
        using var http = app.RawClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{SandboxHosts.GraphBaseUrl}/users/{tenant.User}/sendMail")
        {
            Content = new StringContent(Convert.ToBase64String(Encoding.UTF8.GetBytes(mime)), Encoding.ASCII, "text/plain"),
        };
        request.Headers.Authorization = new("Bearer", await app.AppTokenAsync(tenant));
        var sent = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        var inbox = (await graph.Users[tenant.Shared].MailFolders["inbox"].Messages.GetAsync(r => r.QueryParameters.Orderby = ["receivedDateTime asc"]))!.Value!;
        Assert.Equal(["Ticket #42 received", "Sent as MIME"], inbox.Select(m => m.Subject));
        Assert.Equal(tenant.User, inbox[0].From!.EmailAddress!.Address);
        Assert.Equal($"<mime-1@{tenant.Domain}>", inbox[1].InternetMessageId);
        var headers = await graph.Users[tenant.Shared].Messages[inbox[0].Id].GetAsync(r => r.QueryParameters.Select = ["internetMessageHeaders"]);
        Assert.Contains(headers!.InternetMessageHeaders!, h => h.Name == "X-HaloPortal-Instance" && h.Value == "test");
        var sentItems = (await graph.Users[tenant.User].MailFolders["sentitems"].Messages.GetAsync())!.Value!;
        Assert.Equal(2, sentItems.Count);
        Assert.All(sentItems, m => Assert.True(m.IsRead));
    }

    [Fact]
    public async Task Contacts_page_to_the_end_and_delta_reports_them()
    {
        var tenant = await app.CreateTenantAsync();
        var contacts = JsonDocument.Parse(JsonSerializer.Serialize(Enumerable.Range(1, 5).Select(i => new
        {
            givenName = $"Given{i}",
            surname = "Contact",
            emailAddresses = new[] { new { name = $"Given{i} Contact", address = $"c{i}@external.test" } },
            companyName = "Fabrikam",
        }))).RootElement;
        await app.Control().AddContactsAsync(tenant.User, contacts);
        var graph = app.AppGraph(tenant);

        var page = await graph.Users[tenant.User].Contacts.GetAsync(r => r.QueryParameters.Top = 2);
        var all = new List<Contact>();
        await PageIterator<Contact, ContactCollectionResponse>.CreatePageIterator(graph, page!, c =>
        {
            all.Add(c);
            return true;
        }).IterateAsync();
        var delta = await graph.Users[tenant.User].Contacts.Delta.GetAsDeltaGetResponseAsync();

        Assert.Equal(Enumerable.Range(1, 5).Select(i => $"c{i}@external.test"), all.Select(c => c.EmailAddresses!.Single().Address));
        Assert.Equal("Given1 Contact", all[0].DisplayName);
        Assert.Equal("Fabrikam", all[0].CompanyName);
        Assert.Equal(5, delta!.Value!.Count);
        Assert.NotNull(delta.OdataDeltaLink);
    }

    [Fact]
    public async Task Batch_runs_requests_together_and_refuses_more_than_20()
    {
        var tenant = await app.CreateTenantAsync();
        await app.DeliverAsync(tenant.User, SandboxKit.Mime("x@external.test", tenant.User, "Batched"));
        var graph = app.AppGraph(tenant);
        var batch = new BatchRequestContentCollection(graph);
        var inboxStep = await batch.AddBatchRequestStepAsync(graph.Users[tenant.User].MailFolders["inbox"].Messages.ToGetRequestInformation());
        var missingStep = await batch.AddBatchRequestStepAsync(graph.Users["nobody@" + tenant.Domain].Messages.ToGetRequestInformation());

        var response = await graph.Batch.PostAsync(batch);

        var inbox = await response.GetResponseByIdAsync<MessageCollectionResponse>(inboxStep);
        Assert.Equal("Batched", Assert.Single(inbox.Value!).Subject);
        var codes = await response.GetResponsesStatusCodesAsync();
        Assert.Equal(HttpStatusCode.NotFound, codes[missingStep]);

        using var http = app.RawClient();
        using var tooBig = new HttpRequestMessage(HttpMethod.Post, $"{SandboxHosts.GraphBaseUrl}/$batch")
        {
            Content = JsonContent(new { requests = Enumerable.Range(1, 21).Select(i => new { id = i.ToString(), method = "GET", url = $"/users/{tenant.User}/messages" }) }),
        };
        tooBig.Headers.Authorization = new("Bearer", await app.AppTokenAsync(tenant));
        Assert.Equal(HttpStatusCode.BadRequest, (await http.SendAsync(tooBig)).StatusCode);
    }

    [Fact]
    public async Task Unknown_user_is_404_ErrorInvalidUser_and_users_resolve_by_upn()
    {
        var tenant = await app.CreateTenantAsync();
        var graph = app.AppGraph(tenant);

        var ex = await Assert.ThrowsAsync<ODataError>(() => graph.Users["ghost@" + tenant.Domain].MailFolders["inbox"].Messages.GetAsync());
        var user = await graph.Users[tenant.User].GetAsync();

        Assert.Equal(404, ex.ResponseStatusCode);
        Assert.Equal("ErrorInvalidUser", ex.Error!.Code);
        Assert.Equal($"The requested user 'ghost@{tenant.Domain}' is invalid.", ex.Error.Message);
        Assert.Equal(tenant.User, user!.UserPrincipalName);
    }

    private static StringContent JsonContent(object value) => new(JsonSerializer.Serialize(value), Encoding.UTF8, "application/json");
}
