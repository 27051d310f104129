using System.Net;
using HaloPortal.Engine.Graph;
using HaloPortal.Engine.Nodes;
using Microsoft.Extensions.Time.Testing;

namespace HaloPortal.Tests.Graph;

/// <summary>A 429 with Retry-After through a mailbox's pipeline is remembered as "throttled until" (Monitoring), and forgotten once it is past.</summary>
public sealed class ThrottleMarkTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 10, 9, 0, 0, TimeSpan.Zero);

    private sealed class OneNode : IPortalNodes
    {
        public string Name => "test";

        public string InstanceId => "0123456789abcdef0123456789abcdef";

        public int LiveNodes => 1;

        public Task<IReadOnlyList<PortalNodeView>> ListAsync(CancellationToken cancellationToken = default) => Task.FromResult<IReadOnlyList<PortalNodeView>>([]);
    }

    private sealed class Answer(HttpStatusCode status, TimeSpan? retryAfter) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = new HttpResponseMessage(status) { Content = new StringContent("{}") };
            if (retryAfter is { } delay)
            {
                response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(delay);
            }

            return Task.FromResult(response);
        }
    }

    [Fact]
    public async Task A_429_with_Retry_After_marks_the_mailbox_throttled_until_then()
    {
        var clock = new FakeTimeProvider(Start);
        var limiter = new MailboxConcurrencyLimiter(Microsoft.Extensions.Options.Options.Create(new GraphLimitsOptions()), clock, new OneNode());
        Assert.Null(limiter.ThrottledUntil("app|support@contoso.com"));

        using (var ok = new HttpMessageInvoker(new MailboxConcurrencyHandler(limiter.For("app|support@contoso.com")) { InnerHandler = new Answer(HttpStatusCode.OK, null) }))
        {
            await ok.SendAsync(new HttpRequestMessage(HttpMethod.Get, "https://graph.example/v1.0/me"), CancellationToken.None);
        }

        Assert.Null(limiter.ThrottledUntil("app|support@contoso.com"));
        using var throttled = new HttpMessageInvoker(new MailboxConcurrencyHandler(limiter.For("app|support@contoso.com"))
        {
            InnerHandler = new Answer((HttpStatusCode)429, TimeSpan.FromSeconds(90)),
        });
        await throttled.SendAsync(new HttpRequestMessage(HttpMethod.Get, "https://graph.example/v1.0/me"), CancellationToken.None);

        Assert.Equal(Start.AddSeconds(90), limiter.ThrottledUntil("app|support@contoso.com"));
        Assert.Null(limiter.ThrottledUntil("app|other@contoso.com"));
        clock.Advance(TimeSpan.FromSeconds(90));
        Assert.Null(limiter.ThrottledUntil("app|support@contoso.com"));
    }

    [Fact]
    public void A_Retry_After_is_believed_for_at_most_an_hour_and_a_missing_one_ends_at_once()
    {
        Assert.Equal(Start.AddSeconds(90), ThrottleMark.End(new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(90)), Start));
        Assert.Equal(Start.AddMinutes(5), ThrottleMark.End(new System.Net.Http.Headers.RetryConditionHeaderValue(Start.AddMinutes(5)), Start));
        // A date years away (or days of seconds) would pin the stored "throttled until", which only moves later.
        Assert.Equal(Start + ThrottleMark.Longest, ThrottleMark.End(new System.Net.Http.Headers.RetryConditionHeaderValue(Start.AddYears(5)), Start));
        Assert.Equal(Start + ThrottleMark.Longest, ThrottleMark.End(new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromDays(3)), Start));
        Assert.Equal(Start, ThrottleMark.End(null, Start));
    }
}
