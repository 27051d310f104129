using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Mailboxes;

public sealed class MailboxesApiTests(PortalAppFactory app) : IClassFixture<PortalAppFactory>
{
    private readonly HttpClient _api = app.CreateApiClient();

    [Fact]
    public async Task A_mailbox_is_created_listed_and_read_back()
    {
        var created = await _api.PostAsJsonAsync("/api/v1/mailboxes", new { name = "Support " + Guid.NewGuid().ToString("N")[..6], connectionType = "Office365Azure" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var mailbox = await created.Content.ReadFromJsonAsync<JsonElement>();
        var id = mailbox.GetProperty("id").GetInt32();
        Assert.True(mailbox.GetProperty("incomingEnabled").GetBoolean());
        Assert.Equal("Office365Azure", mailbox.GetProperty("connectionType").GetString());

        var list = await _api.GetFromJsonAsync<JsonElement>("/api/v1/mailboxes");
        Assert.Contains(list.GetProperty("items").EnumerateArray(), m => m.GetProperty("id").GetInt32() == id);

        var read = await _api.GetFromJsonAsync<JsonElement>($"/api/v1/mailboxes/{id}");
        Assert.Equal(0, read.GetProperty("credentials").GetArrayLength());
    }

    [Fact]
    public async Task A_credential_with_the_secret_id_gets_a_problem_naming_the_field_and_the_fix()
    {
        var id = await CreateMailboxAsync();

        var response = await _api.PostAsJsonAsync($"/api/v1/mailboxes/{id}/credentials", new
        {
            instance = "Production",
            authMethod = "ClientCredentials",
            credentialType = "ClientSecret",
            processingMethod = "Webhooks",
            authority = "Global",
            tenantId = "not a tenant",
            clientId = Guid.NewGuid(),
            clientSecret = Guid.NewGuid().ToString(),
            emailAddress = "support@contoso.com",
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        var errors = problem.GetProperty("errors");
        Assert.Contains("copy the secret's Value", errors.GetProperty("clientSecret")[0].GetString());
        Assert.Contains("GUID", errors.GetProperty("tenantId")[0].GetString());
    }

    [Fact]
    public async Task Secrets_are_write_only()
    {
        var id = await CreateMailboxAsync();
        const string secret = "Zq8Q~writeOnlySecretValue.1234567890abcd";

        var response = await _api.PostAsJsonAsync($"/api/v1/mailboxes/{id}/credentials", ClientSecretCredential("support@contoso.com", secret));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain(secret, body);
        Assert.Contains("\"hasClientSecret\":true", body);
        var mailbox = await _api.GetStringAsync($"/api/v1/mailboxes/{id}");
        Assert.DoesNotContain(secret, mailbox);
        var audit = await _api.GetStringAsync("/api/v1/audit?pageSize=200");
        Assert.DoesNotContain(secret, audit);
    }

    [Fact]
    public async Task An_agent_key_cannot_configure_mailboxes()
    {
        var keys = (HaloPortal.Engine.Accounts.IApiKeys)app.Services.GetService(typeof(HaloPortal.Engine.Accounts.IApiKeys))!;
        var key = await keys.CreateAsync("agent script", "Agent", HaloPortal.Engine.Audit.Actor.System);
        using var agent = app.CreateApiClient(key.Key);

        var response = await agent.GetAsync("/api/v1/mailboxes");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task A_second_mailbox_on_an_address_another_mailbox_reads_is_refused_with_that_mailbox_named()
    {
        var address = $"shared-{Guid.NewGuid():N}@contoso.com";
        var first = await CreateMailboxAsync();
        var second = await CreateMailboxAsync();
        var firstName = (await _api.GetFromJsonAsync<JsonElement>($"/api/v1/mailboxes/{first}")).GetProperty("name").GetString();
        using (var created = await _api.PostAsJsonAsync($"/api/v1/mailboxes/{first}/credentials", ClientSecretCredential(address)))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        using var refused = await _api.PostAsJsonAsync($"/api/v1/mailboxes/{second}/credentials", ClientSecretCredential(address.ToUpperInvariant()));

        Assert.True(refused.StatusCode == HttpStatusCode.BadRequest, $"{(int)refused.StatusCode}: {await refused.Content.ReadAsStringAsync()}");
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
        var message = problem.GetProperty("errors").GetProperty("emailAddress")[0].GetString();
        Assert.Contains($"'{firstName}'", message);
        Assert.Contains("twice", message);
        var mailbox = await _api.GetStringAsync($"/api/v1/mailboxes/{second}");
        Assert.DoesNotContain(address, mailbox, StringComparison.OrdinalIgnoreCase);

        // Editing: moving the second mailbox's credentials onto the taken address is refused the same way...
        var own = $"own-{Guid.NewGuid():N}@contoso.com";
        int secondCredential;
        using (var created = await _api.PostAsJsonAsync($"/api/v1/mailboxes/{second}/credentials", ClientSecretCredential(own)))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            secondCredential = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
        }

        using (var moved = await _api.PutAsJsonAsync($"/api/v1/credentials/{secondCredential}", ClientSecretCredential(address)))
        {
            Assert.Equal(HttpStatusCode.BadRequest, moved.StatusCode);
            Assert.Contains($"'{firstName}'", (await moved.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").GetProperty("emailAddress")[0].GetString());
        }

        // ...while a credential that already shared its address before this check existed can still be saved (a new secret).
        await using (var db = await app.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync())
        {
            await db.Set<MailboxCredential>().Where(c => c.Id == secondCredential).ExecuteUpdateAsync(s => s.SetProperty(c => c.EmailAddress, address));
        }

        using var rotated = await _api.PutAsJsonAsync($"/api/v1/credentials/{secondCredential}", ClientSecretCredential(address, "Zq8Q~rotatedSecretValue.1234567890abcdef"));
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
    }

    /// <summary>A valid client-secret credential body for the API (Production instance, mailbox scan, new app ids).</summary>
    private static object ClientSecretCredential(string emailAddress, string secret = "Zq8Q~apiTestSecretValue.1234567890abcdef") => new
    {
        authMethod = "ClientCredentials",
        credentialType = "ClientSecret",
        processingMethod = "MailboxScan",
        authority = "Global",
        tenantId = Guid.NewGuid(),
        clientId = Guid.NewGuid(),
        clientSecret = secret,
        secretExpiresAt = DateTimeOffset.UtcNow.AddDays(180),
        emailAddress,
    };

    private async Task<int> CreateMailboxAsync()
    {
        var created = await _api.PostAsJsonAsync("/api/v1/mailboxes", new { name = "Box " + Guid.NewGuid().ToString("N")[..8] });
        created.EnsureSuccessStatusCode();
        return (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
    }
}
