using System.Text;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Ingestion.Sources.Webhook;

namespace HaloPortal.Tests.Ingestion.Webhook;

/// <summary>The pure parser of Graph notification POSTs: every malformed body is refused with what is wrong, nothing is matched or stored.</summary>
public sealed class ChangeNotificationParserTests
{
    private static ChangeNotificationBatch Parse(string json, RequestKind kind = RequestKind.Webhook, int maxItems = 10) =>
        ChangeNotificationParser.Parse(Encoding.UTF8.GetBytes(json), kind, maxItems);

    [Fact]
    public void A_change_batch_gives_each_item_its_subscription_client_state_message_id_and_raw_JSON()
    {
        const string item = """{"subscriptionId":"s-1","clientState":"secret","changeType":"created","resourceData":{"id":"AAMk1"}}""";
        using var batch = Parse("""{"value":[""" + item + """,{"subscriptionId":"s-2","resourceData":{"id":"AAMk2"}}]}""");

        Assert.Equal(2, batch.Items.Count);
        var first = batch.Items[0];
        Assert.Equal(("s-1", "secret", "AAMk1", (string?)null), (first.SubscriptionId, first.ClientState, first.MessageId, first.LifecycleEvent));
        Assert.Equal(item, Encoding.UTF8.GetString(first.Raw()));
        Assert.Null(batch.Items[1].ClientState);
    }

    [Fact]
    public void A_lifecycle_batch_gives_each_item_its_event()
    {
        using var batch = Parse("""{"value":[{"subscriptionId":"s-1","clientState":"c","lifecycleEvent":"reauthorizationRequired"}]}""", RequestKind.Lifecycle);

        Assert.Equal("reauthorizationRequired", Assert.Single(batch.Items).LifecycleEvent);
        Assert.Null(batch.Items[0].MessageId);
    }

    [Theory]
    [InlineData("not json", "not JSON")]
    [InlineData("[]", "Expected {\"value\":[...]}")]
    [InlineData("""{"value":{}}""", "Expected {\"value\":[...]}")]
    [InlineData("""{"value":[42]}""", "must be an object")]
    [InlineData("""{"value":[{"resourceData":{"id":"AAMk1"}}]}""", "no subscriptionId")]
    [InlineData("""{"value":[{"subscriptionId":"","resourceData":{"id":"AAMk1"}}]}""", "no subscriptionId")]
    [InlineData("""{"value":[{"subscriptionId":"s-1"}]}""", "no resourceData.id")]
    [InlineData("""{"value":[{"subscriptionId":"s-1","resourceData":{"id":7}}]}""", "no resourceData.id")]
    public void A_body_that_is_not_a_change_batch_is_refused_with_what_is_wrong(string body, string expected)
    {
        var ex = Assert.Throws<FormatException>(() => Parse(body));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_lifecycle_item_without_its_event_is_refused()
    {
        var ex = Assert.Throws<FormatException>(() => Parse("""{"value":[{"subscriptionId":"s-1"}]}""", RequestKind.Lifecycle));

        Assert.Contains("no lifecycleEvent", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void More_items_than_allowed_are_refused_before_any_item_is_read()
    {
        // The items themselves are malformed: the count is checked first, so the answer is 413, not 400.
        var ex = Assert.Throws<TooManyItemsException>(() => Parse("""{"value":[1,2,3]}""", maxItems: 2));

        Assert.Equal(3, ex.Count);
        Assert.Contains("at most 2", ex.Message, StringComparison.Ordinal);
    }
}
