using HaloPortal.Engine.Parsing;

namespace HaloPortal.Tests.Parsing;

public sealed class TicketSubjectTests
{
    [Fact]
    public void Tag_round_trips_through_extraction()
    {
        var subject = $"{TicketSubject.Tag(1234)} Printer jammed";

        Assert.Equal("[Ticket #1234] Printer jammed", subject);
        Assert.True(TicketSubject.TryExtractNumber(subject, out var number));
        Assert.Equal(1234, number);
        Assert.Equal("Printer jammed", TicketSubject.Normalise(subject));
    }

    [Theory]
    [InlineData("RE: [Ticket #1234] Printer", 1234)]
    [InlineData("AW: WG: [ticket #42] Drucker", 42)]
    [InlineData("FW: [#77] Password reset", 77)]
    [InlineData("Re: Printer Ticket #9001 still broken", 9001)]
    [InlineData("Re[2]: SV: [ Ticket # 5 ] spacing", 5)]
    public void Ticket_number_is_found_after_reply_prefixes(string subject, int expected)
    {
        Assert.True(TicketSubject.TryExtractNumber(subject, out var number));
        Assert.Equal(expected, number);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Invoice #1234")]
    [InlineData("[Ticket #0] zero")]
    [InlineData("[Ticket #99999999999] too big")]
    [InlineData("MyTicket #12")]
    public void No_ticket_number_is_found_where_there_is_none(string subject)
    {
        Assert.False(TicketSubject.TryExtractNumber(subject, out var number));
        Assert.Equal(0, number);
    }

    [Theory]
    [InlineData("RE: RE: Fwd: AW: WG: SV: Printer", "Printer")]
    [InlineData("Re: [Ticket #12] FW: Printer  jammed ", "Printer jammed")]
    [InlineData("[#12] Printer", "Printer")]
    [InlineData("Fwd:Printer", "Printer")]
    [InlineData("Reorder toner", "Reorder toner")]
    [InlineData("", "")]
    public void Normalise_strips_prefixes_and_tags(string subject, string expected)
    {
        Assert.Equal(expected, TicketSubject.Normalise(subject));
    }
}
