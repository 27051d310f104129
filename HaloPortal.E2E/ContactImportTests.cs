using System.Globalization;
using HaloPortal.E2E.Infrastructure;
using HaloPortal.E2E.Pages;
using Microsoft.Playwright;

namespace HaloPortal.E2E;

/// <summary>Issue 7 through the browser: contact mappings, Import contacts with its progress and report, imported users on their sites.</summary>
[Collection(AdminE2ECollection.Name)]
public sealed class ContactImportTests(AdminE2EFixture fixture)
{
    /// <summary>Added to the demo mailbox's ~40 seeded contacts so the import runs long enough to watch its progress bar.</summary>
    private const int ExtraContacts = 1500;

    [Fact]
    public Task Saved_mappings_are_used_by_an_import_that_shows_progress_and_a_report_and_contacts_become_users_on_their_sites() =>
        fixture.RunAsync("contact-import", async session =>
        {
            var page = session.Page;
            var run = "r" + Guid.NewGuid().ToString("N")[..5]; // never all digits: a number is searched as a ticket number
            using (var api = new SandboxControlApi(fixture.Portal))
            {
                await api.AddContactsAsync(SandboxScreen.SupportMailbox, BulkContacts(run));
            }

            var tab = new ContactImportsTab(page);
            await tab.GotoAsync(SandboxScreen.DemoMailboxId);
            await session.StepAsync("contact-imports-tab");

            await tab.MapAsync("Job title", "Job title");
            await tab.MapAsync("Company", "Company");
            await tab.MapAsync("Notes", "Notes");
            await session.StepAsync("mappings-edited");
            await tab.SaveMappingsAsync();

            // Saved: a fresh load shows them.
            await tab.GotoAsync(SandboxScreen.DemoMailboxId);
            Assert.Equal("Job title", await tab.TargetOfAsync("Job title"));
            Assert.Equal("Company", await tab.TargetOfAsync("Company"));
            Assert.Equal("Notes", await tab.TargetOfAsync("Notes"));
            await session.StepAsync("mappings-saved");

            var report = await tab.ImportAsync(() => session.StepAsync("import-progress"));
            await session.StepAsync("import-report");
            var processed = await CountAsync(report, "contacts-processed");
            var created = await CountAsync(report, "contacts-created");
            var updated = await CountAsync(report, "contacts-updated");
            var unchanged = await CountAsync(report, "contacts-unchanged");
            var skipped = await CountAsync(report, "contacts-skipped");
            Assert.True(processed >= ExtraContacts + 40, $"Read {processed} contacts; the mailbox has at least {ExtraContacts + 40}.");
            Assert.Equal(processed, created + updated + unchanged + skipped);
            Assert.True(created >= ExtraContacts, $"Created {created}; this run's {ExtraContacts} contacts are new.");
            Assert.True(skipped >= 2, "The two seeded contacts without an email address are skipped.");
            await Assertions.Expect(report.GetByTestId("skipped-contacts")).ToContainTextAsync("Skipped contacts");

            // The seeded contacts are users on the site of their email domain, with the mapped fields (Notes too).
            var users = new UsersPage(page);
            await users.GotoAsync();
            var adele = await users.SearchAsync("Adele Vance", "adele.vance@fabrikam.example");
            await Assertions.Expect(adele.GetByTestId("user-site")).ToHaveTextAsync("Fabrikam");
            await session.StepAsync("users-search-fabrikam");
            var pradeep = await users.SearchAsync("pradeep.gupta", "pradeep.gupta@northwindtraders.example");
            await Assertions.Expect(pradeep.GetByTestId("user-site")).ToHaveTextAsync("Northwind Traders");
            await session.StepAsync("users-search-northwind");

            await users.SearchAsync("Adele Vance", "adele.vance@fabrikam.example");
            await adele.GetByTestId("user-link").ClickAsync();
            await Assertions.Expect(page.GetByTestId("user-field-site")).ToHaveTextAsync("Fabrikam");
            await Assertions.Expect(page.GetByTestId("user-field-job-title")).ToHaveTextAsync("Retail Manager");
            await Assertions.Expect(page.GetByTestId("user-field-company")).ToHaveTextAsync("Fabrikam");
            await Assertions.Expect(page.GetByTestId("user-field-notes")).ToHaveTextAsync("Prefers to be contacted by email.");
            await Assertions.Expect(page.GetByTestId("user-field-source")).ToHaveTextAsync("Imported from an Outlook contact");
            await session.StepAsync("user-detail");
        });

    private static async Task<int> CountAsync(ILocator report, string testId) =>
        int.Parse((await report.GetByTestId(testId).TextContentAsync())!.Trim(), NumberStyles.None, CultureInfo.InvariantCulture);

    private static IEnumerable<object> BulkContacts(string run) =>
        Enumerable.Range(1, ExtraContacts).Select(i => new
        {
            givenName = "Bulk",
            surname = $"Contact {run}-{i:0000}",
            displayName = $"Bulk Contact {run}-{i:0000}",
            companyName = "Bulk Imports",
            jobTitle = "Tester",
            emailAddresses = new[] { new { name = $"Bulk Contact {i}", address = $"bulk.{run}.{i:0000}@bulk-imports.example" } },
        });
}
