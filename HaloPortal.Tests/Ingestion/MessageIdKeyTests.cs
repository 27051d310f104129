using HaloPortal.Engine.Ingestion;
using MimeKit;

namespace HaloPortal.Tests.Ingestion;

/// <summary>
/// A scan keys an email by Graph's internetMessageId (Exchange's parse of the header, in angle brackets); a webhook keys it by the
/// Message-ID header of the fetched MIME. Both must give the same key, or a message found both ways becomes two tickets.
/// </summary>
public sealed class MessageIdKeyTests
{
    [Theory]
    [InlineData("<abc.123@customer.example>", "abc.123@customer.example")]
    [InlineData("abc.123@customer.example", "abc.123@customer.example")]
    [InlineData("  <abc.123@customer.example>  ", "abc.123@customer.example")]
    [InlineData("<<<run not an id at all>>>", "runnotanidatall")]
    [InlineData("<first@customer.example> <second@customer.example>", "first@customer.example")]
    [InlineData("<no-domain>", "no-domain")]
    public void The_raw_header_and_the_graph_value_give_the_same_key(string header, string key)
    {
        // What Graph (and the sandbox) report as internetMessageId: the parsed id, in angle brackets.
        var message = MimeMessage.Load(new MemoryStream(System.Text.Encoding.ASCII.GetBytes($"From: a@customer.example\r\nMessage-ID: {header}\r\n\r\nBody\r\n")));
        var graphValue = "<" + message.MessageId + ">";

        Assert.Equal(key, MessageIdKey.Of(header));
        Assert.Equal(key, MessageIdKey.Of(graphValue));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("<>")]
    public void No_id_gives_no_key(string? header) => Assert.Null(MessageIdKey.Of(header));
}
