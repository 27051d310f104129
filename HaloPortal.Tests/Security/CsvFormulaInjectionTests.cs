using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Security;

/// <summary>The inbound log's CSV never hands a spreadsheet a formula taken from an email.</summary>
public sealed class CsvFormulaInjectionTests(PortalAppFactory app) : IClassFixture<PortalAppFactory>
{
    [Theory]
    [InlineData("=HYPERLINK(\"http://x\")")]
    [InlineData("+1+1")]
    [InlineData("-2+3")]
    [InlineData("@SUM(A1)")]
    [InlineData("\t=1+1")]
    [InlineData("\r=1+1")]
    public void A_cell_a_spreadsheet_would_evaluate_is_kept_as_text(string value) =>
        Assert.Equal("\"'" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"", InboundLog.Csv(value));

    [Fact]
    public void Ordinary_text_is_only_quoted() => Assert.Equal("\"Invoice 42 = paid\"", InboundLog.Csv("Invoice 42 = paid"));

    [Fact]
    public async Task The_export_guards_subject_and_sender()
    {
        var services = app.Services;
        var mailbox = await services.GetRequiredService<IMailboxes>().CreateAsync("CSV", MailboxConnectionType.Office365Azure, Actor.System);
        await using (var db = await services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync())
        {
            db.Add(new InboundEmail { MailboxId = mailbox.Id, DedupeKey = "csv-1", Subject = "\t=cmd|' /C calc'!A0", From = "\r@evil.example", CreatedAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
        }

        var csv = await services.GetRequiredService<IInboundLog>().ExportCsvAsync(new InboundQuery());

        Assert.Contains("\"'\t=cmd|' /C calc'!A0\"", csv);
        Assert.Contains("\"'\r@evil.example\"", csv);
    }
}
