using Hangfire;
using Hangfire.Storage;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.BackendServices;
using HaloPortal.Engine.Contacts;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Errors;
using HaloPortal.Engine.Graph;
using HaloPortal.Engine.Portal;
using HaloPortal.Engine.EndUsers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace HaloPortal.Tests.Contacts;

/// <summary>Outlook contacts in the sandbox become users through the real MSAL and Graph SDK.</summary>
public sealed class ContactImportTests(ContactsAppFactory app) : IClassFixture<ContactsAppFactory>
{
    private static readonly Actor Admin = Actor.User("admin@example.com");
    private readonly ContactsSandbox _sandbox = new(app);

    [Fact]
    public async Task Each_mapping_is_applied_field_by_field()
    {
        var (mailboxId, address) = await _sandbox.MailboxAsync();
        var domain = ContactsSandbox.NewDomain();
        await _sandbox.AddContactsAsync(address,
        [
            ContactsSandbox.Contact("Ada", "Lovelace", $"ada.private@{domain}", jobTitle: "Analyst", company: "Engines Ltd", mobile: "+44 7700 900001",
                businessPhone: "+44 20 7946 0001", department: "Maths", extra: new
                {
                    emailAddresses = new[] { new { address = $"ada.private@{domain}" }, new { address = $"Ada@{domain}" } },
                    homePhones = new[] { "+44 20 7946 0999" },
                    officeLocation = "Room 12",
                    personalNotes = "Met at the Analytical Society.",
                    businessAddress = new { street = "12 St James's Square", city = "London", postalCode = "SW1Y 4JH", countryOrRegion = "United Kingdom" },
                }),
        ]);
        await _sandbox.Mappings.SaveAsync(mailboxId,
        [
            new("displayName", UserField.Name),
            new("surname", UserField.FirstName), // deliberately crossed: the mapping decides, not the field names
            new("givenName", UserField.LastName),
            new("emailAddresses[1]", UserField.Email),
            new("homePhones[0]", UserField.Phone),
            new("officeLocation", UserField.Department),
            new("businessAddress", UserField.Address),
            new("personalNotes", UserField.Notes),
        ], Admin);

        var report = await _sandbox.Imports.ImportAsync(mailboxId);

        Assert.Null(report.Error);
        Assert.Equal(1, report.Created);
        var user = await _sandbox.UserAsync($"ada@{domain}");
        Assert.Equal("Ada Lovelace", user.Name);
        Assert.Equal("Lovelace", user.FirstName);
        Assert.Equal("Ada", user.LastName);
        Assert.Equal("+44 20 7946 0999", user.Phone);
        Assert.Equal("Room 12", user.Department);
        Assert.Equal("12 St James's Square, London, SW1Y 4JH, United Kingdom", user.Address);
        Assert.Equal("Met at the Analytical Society.", user.Notes);
        // Not mapped: left empty.
        Assert.Null(user.Mobile);
        Assert.Null(user.JobTitle);
        Assert.Null(user.Company);
        Assert.NotNull(user.OutlookContactId);
    }

    [Fact]
    public async Task New_users_land_on_the_site_of_their_domain_else_the_default_site_and_contacts_without_email_are_skipped()
    {
        var (mailboxId, address) = await _sandbox.MailboxAsync();
        var domain = ContactsSandbox.NewDomain();
        var other = ContactsSandbox.NewDomain();
        var site = await _sandbox.Sites.CreateAsync(new SiteInput("Site " + domain, [domain]), Admin);
        await _sandbox.AddContactsAsync(address,
        [
            ContactsSandbox.Contact("Bea", "Bell", $"bea@{domain}"),
            ContactsSandbox.Contact("Cal", "Cole", $"cal@eu.{domain}"),
            ContactsSandbox.Contact("Dee", "Dunn", $"dee@{other}"),
            ContactsSandbox.Contact("Eve", "Nomail", null),
        ]);

        var report = await _sandbox.Imports.ImportAsync(mailboxId);

        Assert.Equal(3, report.Created);
        var skipped = Assert.Single(report.Skipped);
        Assert.Equal("Eve Nomail", skipped.DisplayName);
        Assert.Contains("No email address", skipped.Reason);
        Assert.Equal(site.Id, (await _sandbox.UserAsync($"bea@{domain}")).SiteId);
        Assert.Equal(site.Id, (await _sandbox.UserAsync($"cal@eu.{domain}")).SiteId);
        var defaultSite = (await _sandbox.Sites.ListAsync()).Single(s => s.IsDefaultForNewUsers);
        Assert.Equal(defaultSite.Id, (await _sandbox.UserAsync($"dee@{other}")).SiteId);
    }

    [Fact]
    public async Task A_second_import_updates_without_duplicates_and_leaves_unmapped_fields_alone()
    {
        var (mailboxId, address) = await _sandbox.MailboxAsync();
        var domain = ContactsSandbox.NewDomain();
        // Fay already wrote in (a requester created from mail): the import links her by email instead of duplicating her.
        await _sandbox.QueryAsync(async db =>
        {
            db.Add(new EndUser { Email = $"fay@{domain}", Name = "fay@" + domain, SiteId = await Requesters.SiteForAsync(db, $"fay@{domain}", DateTimeOffset.UtcNow, default), CreatedAt = DateTimeOffset.UtcNow });
            return await db.SaveChangesAsync();
        });
        await _sandbox.AddContactsAsync(address,
        [
            ContactsSandbox.Contact("Fay", "Ford", $"fay@{domain}", jobTitle: "Buyer", company: "Ford & Co"),
            ContactsSandbox.Contact("Gus", "Gray", $"gus@{domain}", jobTitle: "Driver", company: "Ford & Co"),
            ContactsSandbox.Contact("Hal", "Hunt", $"hal@{domain}", jobTitle: "Clerk", company: "Ford & Co"),
        ]);

        var first = await _sandbox.Imports.ImportAsync(mailboxId);
        Assert.Equal((2, 1, 0), (first.Created, first.Updated, first.Unchanged));
        Assert.Equal("Fay Ford", (await _sandbox.UserAsync($"fay@{domain}")).Name);

        // Someone edits Gus in the portal: a mapped field (job title) and an unmapped one (notes, address).
        await _sandbox.QueryAsync(db => db.Set<EndUser>().Where(u => u.Email == $"gus@{domain}")
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.JobTitle, "Edited").SetProperty(u => u.Notes, "VIP customer").SetProperty(u => u.Address, "1 Depot Road")));

        var second = await _sandbox.Imports.ImportAsync(mailboxId);

        Assert.Equal((0, 1, 2), (second.Created, second.Updated, second.Unchanged));
        Assert.Equal(3, (await _sandbox.UsersOfDomainAsync(domain)).Count);
        var gus = await _sandbox.UserAsync($"gus@{domain}");
        Assert.Equal("Driver", gus.JobTitle);
        Assert.Equal("VIP customer", gus.Notes);
        Assert.Equal("1 Depot Road", gus.Address);
        var runs = await _sandbox.Imports.ListRunsAsync(mailboxId);
        Assert.Equal(2, runs.Count);
        Assert.All(runs, r => Assert.Equal(ContactImportTrigger.Manual, r.Trigger));
        Assert.Equal(1, runs[0].Updated);
    }

    [Fact]
    public async Task Fifteen_hundred_contacts_are_read_across_pages_with_progress()
    {
        var (mailboxId, address) = await _sandbox.MailboxAsync();
        var domain = ContactsSandbox.NewDomain();
        for (var batch = 0; batch < 6; batch++)
        {
            await _sandbox.AddContactsAsync(address, Enumerable.Range(batch * 250, 250)
                .Select(i => ContactsSandbox.Contact($"Person{i}", "Bulk", $"person{i}@{domain}", company: "Bulk Ltd")));
        }

        var reports = new List<ContactImportProgress>();
        var report = await _sandbox.Imports.ImportAsync(mailboxId, new SynchronousProgress(reports));

        Assert.Null(report.Error);
        Assert.Equal(1500, report.Processed);
        Assert.Equal(1500, report.Created);
        Assert.Equal(1500, (await _sandbox.UsersOfDomainAsync(domain)).Count);
        // One report before the first page and one per page of 100, each with the total Graph counted.
        Assert.Equal(16, reports.Count);
        Assert.Equal(Enumerable.Range(1, 15).Select(p => p * 100), reports.Skip(1).Select(r => r.Processed));
        Assert.All(reports.Skip(1), r => Assert.Equal(1500, r.Total));
    }

    [Fact]
    public async Task Without_the_Contacts_permission_the_import_stops_with_the_catalogued_error_recorded_on_the_mailbox()
    {
        var (mailboxId, address) = await _sandbox.MailboxAsync(contactsPermission: false);
        await _sandbox.AddContactsAsync(address, [ContactsSandbox.Contact("Ida", "Ives", $"ida@{ContactsSandbox.NewDomain()}")]);
        var failures = new List<ContactImportFailure>();
        void OnFailed(ContactImportFailure f) => failures.Add(f);
        _sandbox.Imports.ImportFailed += OnFailed;
        try
        {
            var report = await _sandbox.Imports.ImportAsync(mailboxId);

            Assert.Equal(KnownErrors.ContactsPermissionMissing, report.Error?.Code);
            Assert.Contains("Contacts.Read", report.Error!.Message);
            Assert.Contains("Contacts.Read.Shared", report.Error.Message);
            Assert.Contains("Grant admin consent", report.Error.Fix);
            Assert.Equal(0, report.Created);
            var run = Assert.Single(await _sandbox.Imports.ListRunsAsync(mailboxId));
            Assert.Equal(KnownErrors.ContactsPermissionMissing, run.ErrorCode);
            Assert.NotNull(run.FinishedAt);
            var schedule = await _sandbox.Imports.GetScheduleAsync(mailboxId);
            Assert.Equal(KnownErrors.ContactsPermissionMissing, schedule.LastFailure?.Error.Code);
            Assert.Equal(mailboxId, Assert.Single(failures, f => f.MailboxId == mailboxId).MailboxId);
        }
        finally
        {
            _sandbox.Imports.ImportFailed -= OnFailed;
        }
    }

    [Fact]
    public async Task The_scheduled_sync_runs_when_due_on_a_fake_clock_and_its_recurring_job_follows_the_setting()
    {
        var (mailboxId, address) = await _sandbox.MailboxAsync();
        var domain = ContactsSandbox.NewDomain();
        await _sandbox.AddContactsAsync(address, [ContactsSandbox.Contact("Jo", "Jones", $"jo@{domain}")]);
        await _sandbox.Imports.SaveScheduleAsync(mailboxId, enabled: true, intervalHours: 24, Admin);
        var storage = app.Services.GetRequiredService<JobStorage>();
        await WaitUntilAsync(() => storage.GetConnection().GetRecurringJobs().Any(j => j.Id == $"contacts-mailbox-{mailboxId}"));

        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow.AddMinutes(1));
        var importer = ImporterOn(clock);
        var job = new ContactImportJob(importer);

        var first = await importer.ImportIfDueAsync(mailboxId);
        Assert.NotNull(first);
        Assert.Equal(1, first.Created);
        var start = clock.GetUtcNow();
        clock.Advance(TimeSpan.FromHours(24) - TimeSpan.FromSeconds(1));
        Assert.Null(await importer.ImportIfDueAsync(mailboxId));
        Assert.Equal(start.AddHours(24), await importer.NextDueAsync(mailboxId));
        clock.Advance(TimeSpan.FromSeconds(1));
        await job.RunAsync(mailboxId, CancellationToken.None);

        var runs = await _sandbox.Imports.ListRunsAsync(mailboxId);
        Assert.Equal([start.AddHours(24), start], runs.Select(r => r.StartedAt));
        Assert.All(runs, r => Assert.Equal(ContactImportTrigger.Scheduled, r.Trigger));
        Assert.Equal(1, runs[0].Unchanged);

        await _sandbox.Imports.SaveScheduleAsync(mailboxId, enabled: false, intervalHours: 24, Admin);
        await WaitUntilAsync(() => storage.GetConnection().GetRecurringJobs().All(j => j.Id != $"contacts-mailbox-{mailboxId}"));
        clock.Advance(TimeSpan.FromDays(30));
        Assert.Null(await importer.ImportIfDueAsync(mailboxId));
    }

    [Fact]
    public async Task The_interval_must_be_between_one_hour_and_a_week()
    {
        var (mailboxId, _) = await _sandbox.MailboxAsync();
        var error = await Assert.ThrowsAsync<ArgumentException>(() => _sandbox.Imports.SaveScheduleAsync(mailboxId, true, 169, Admin));
        Assert.Contains("between 1 and 168 hours", error.Message);
    }

    /// <summary>The real importer on the portal's services, with its clock replaced.</summary>
    private ContactImporter ImporterOn(TimeProvider clock)
    {
        var s = app.Services;
        return new ContactImporter(s.GetRequiredService<IDbContextFactory<PortalDbContext>>(), s.GetRequiredService<IGraphClients>(),
            s.GetRequiredService<IBackendServices>(), s.GetRequiredService<ContactImportEvents>(), clock, s.GetRequiredService<IOptions<PortalOptions>>(),
            s.GetRequiredService<IOptions<ContactsOptions>>(), NullLogger<ContactImporter>.Instance);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The condition did not become true within 10 seconds.");
            await Task.Delay(20);
        }
    }

    private sealed class SynchronousProgress(List<ContactImportProgress> reports) : IProgress<ContactImportProgress>
    {
        public void Report(ContactImportProgress value)
        {
            lock (reports)
            {
                reports.Add(value);
            }
        }
    }
}
