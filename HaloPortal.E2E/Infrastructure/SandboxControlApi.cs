using System.Net.Http.Json;

namespace HaloPortal.E2E.Infrastructure;

/// <summary>The sandbox's control API (<c>/sandbox/api</c>) of the collection's portal, with the API key it was started with.</summary>
public sealed class SandboxControlApi(PortalProcess portal) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = portal.BaseAddress, Timeout = TimeSpan.FromSeconds(60), DefaultRequestHeaders = { { "X-Api-Key", portal.ApiKey } } };

    /// <summary>Adds Outlook contacts (Graph <c>contact</c> resources) to a sandbox mailbox.</summary>
    public async Task AddContactsAsync(string mailbox, IEnumerable<object> contacts)
    {
        using var response = await _http.PostAsJsonAsync($"/sandbox/api/mailboxes/{Uri.EscapeDataString(mailbox)}/contacts", contacts);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"POST /sandbox/api/mailboxes/{mailbox}/contacts answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    /// <summary>Delivers a raw MIME message into a sandbox mailbox (<c>POST /sandbox/api/mailboxes/{address}/messages</c>).</summary>
    public async Task DeliverMimeAsync(string mailbox, string mime)
    {
        using var content = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(mime));
        content.Headers.ContentType = new("message/rfc822");
        using var response = await _http.PostAsync($"/sandbox/api/mailboxes/{Uri.EscapeDataString(mailbox)}/messages", content);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"POST /sandbox/api/mailboxes/{mailbox}/messages answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    public void Dispose() => _http.Dispose();
}
