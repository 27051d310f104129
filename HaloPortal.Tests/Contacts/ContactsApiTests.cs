using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Contacts;

/// <summary>The demo seed (contacts in the sandbox support mailbox, matching sites) imported through the REST API.</summary>
public sealed class ContactsApiTests(PortalAppFactory app) : IClassFixture<PortalAppFactory>
{
    private const int DemoMailboxId = 1;

    [Fact]
    public async Task The_demo_contacts_import_through_the_api_onto_the_seeded_sites_and_users_and_sites_can_be_listed()
    {
        var api = app.CreateApiClient();

        var response = await api.PostAsync($"/api/v1/mailboxes/{DemoMailboxId}/contact-import?wait=true", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var report = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(JsonValueKind.Null, report.GetProperty("error").ValueKind);
        Assert.Equal(40, report.GetProperty("processed").GetInt32());
        Assert.Equal(38, report.GetProperty("created").GetInt32());
        Assert.Equal(2, report.GetProperty("skipped").GetArrayLength());
        Assert.Contains("No email address", report.GetProperty("skipped")[0].GetProperty("reason").GetString());

        var sites = await api.GetFromJsonAsync<JsonElement>("/api/v1/sites");
        var names = sites.GetProperty("items").EnumerateArray().Select(s => s.GetProperty("name").GetString()).ToList();
        Assert.Contains("Fabrikam", names);
        Assert.Contains("Northwind Traders", names);
        var fabrikamId = sites.GetProperty("items").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "Fabrikam").GetProperty("id").GetInt32();

        var fabrikam = await api.GetFromJsonAsync<JsonElement>($"/api/v1/users?siteId={fabrikamId}&pageSize=5&page=2");
        Assert.Equal(14, fabrikam.GetProperty("total").GetInt32());
        Assert.Equal(5, fabrikam.GetProperty("items").GetArrayLength());
        Assert.All(fabrikam.GetProperty("items").EnumerateArray(), u => Assert.Equal("Fabrikam", u.GetProperty("siteName").GetString()));
        var northwind = await api.GetFromJsonAsync<JsonElement>("/api/v1/users?q=northwindtraders.example");
        Assert.All(northwind.GetProperty("items").EnumerateArray(), u => Assert.Equal("Northwind Traders", u.GetProperty("siteName").GetString()));
        Assert.Equal(4, northwind.GetProperty("total").GetInt32());
        var tailspin = await api.GetFromJsonAsync<JsonElement>("/api/v1/users?q=tailspin.example");
        Assert.All(tailspin.GetProperty("items").EnumerateArray(), u => Assert.Equal("Main site", u.GetProperty("siteName").GetString()));

        // The demo credential asks for Contacts.Read, and a second import (202, in the background) duplicates nothing.
        await using (var db = await app.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync())
        {
            Assert.True(await db.Set<MailboxCredential>().Where(c => c.MailboxId == DemoMailboxId).Select(c => c.ImportContacts).SingleAsync());
        }

        var again = await api.PostAsync($"/api/v1/mailboxes/{DemoMailboxId}/contact-import", null);
        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        // It runs as a Hangfire job (listed on Background Jobs), not as a task the request forgot.
        Assert.False(string.IsNullOrEmpty((await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("jobId").GetString()));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        JsonElement user;
        do
        {
            Assert.True(DateTime.UtcNow < deadline, "The background import did not finish.");
            await Task.Delay(50);
            user = await api.GetFromJsonAsync<JsonElement>("/api/v1/users?q=adele.vance@fabrikam.example");
        }
        while (!await SecondRunFinishedAsync());

        Assert.Equal(1, user.GetProperty("total").GetInt32());
        var detail = await api.GetFromJsonAsync<JsonElement>($"/api/v1/users/{user.GetProperty("items")[0].GetProperty("id").GetInt32()}");
        Assert.Equal("Retail Manager", detail.GetProperty("jobTitle").GetString());
        Assert.Equal(0, detail.GetProperty("ticketTotal").GetInt32());
    }

    [Fact]
    public async Task Import_of_an_unknown_mailbox_is_404_and_the_api_needs_a_key()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await app.CreateApiClient().PostAsync("/api/v1/mailboxes/9999/contact-import", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.CreateApiClient(apiKey: null).GetAsync("/api/v1/users")).StatusCode);
    }

    private async Task<bool> SecondRunFinishedAsync()
    {
        var runs = await app.Services.GetRequiredService<HaloPortal.Engine.Contacts.IContactImports>().ListRunsAsync(DemoMailboxId);
        return runs.Count >= 2 && runs.All(r => !r.Running);
    }
}
