using System.Text.Json;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Contacts;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Portal;
using HaloPortal.Engine.EndUsers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HaloPortal.Sandbox.Demo;

/// <summary>
/// On the embedded default's first start, fills the sandbox support mailbox with Outlook contacts (customers of three companies, a few
/// freelancers, two without an email address) and creates the sites their domains belong to, so Import contacts shows the whole feature.
/// Runs once (a deployment marker); nothing is recreated after an administrator deletes it.
/// </summary>
internal sealed class DemoContactsSeeder(
    ISandboxDemo source,
    ISandboxControl control,
    IDeployment deployment,
    ISites sites,
    IMailboxes mailboxes,
    ICredentials credentials,
    IOptions<ContactsOptions> options,
    ILogger<DemoContactsSeeder> logger) : IStartupTask
{
    public int Order => 70; // after DemoMailboxSeeder (60)

    /// <summary>The demo sites and their domains; tailspin.example and the freelancers' domains match none, so they land on the default site.</summary>
    internal static readonly (string Name, string[] Domains)[] Sites =
    [
        ("Fabrikam", ["fabrikam.example"]),
        ("Northwind Traders", ["northwind.example", "northwindtraders.example"]),
    ];

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.SeedDemoContacts || await source.GetAsync(cancellationToken) is not { } demo
            || await deployment.HasReachedAsync(DeploymentMarkers.DemoContactsSeeded, cancellationToken))
        {
            return;
        }

        var existing = await sites.ListAsync(cancellationToken);
        foreach (var (name, domains) in Sites)
        {
            var taken = existing.Any(s => s.Domains.Any(d => domains.Contains(d, StringComparer.OrdinalIgnoreCase)));
            if (!taken && !existing.Any(s => s.Name == name))
            {
                await sites.CreateAsync(new SiteInput(name, domains), Actor.System, cancellationToken);
            }
        }

        // The demo credential reads contacts too: its Required permissions panel lists Contacts.Read (the demo app has it).
        await ImportContactsOnDemoCredentialAsync(cancellationToken);
        await control.AddContactsAsync(demo.SharedMailbox, JsonSerializer.SerializeToElement(Contacts()), cancellationToken);
        await deployment.MarkReachedAsync(DeploymentMarkers.DemoContactsSeeded, cancellationToken);
        logger.LogInformation("Seeded {Count} Outlook contacts into the sandbox mailbox {Address}", Contacts().Count, demo.SharedMailbox);
    }

    private async Task ImportContactsOnDemoCredentialAsync(CancellationToken cancellationToken)
    {
        var mailbox = (await mailboxes.ListAsync(cancellationToken)).FirstOrDefault(m => m.Name == DemoMailboxSeeder.DemoMailboxName);
        var credential = mailbox is null ? null
            : (await mailboxes.GetAsync(mailbox.Id, cancellationToken))?.Credentials.FirstOrDefault(c => c.Authority == GraphAuthority.Sandbox);
        if (credential is null || credential.ImportContacts)
        {
            return;
        }

        try
        {
            var input = CredentialInput.From(credential);
            input.ImportContacts = true;
            await credentials.UpdateAsync(credential.Id, input, Actor.System, cancellationToken);
        }
        catch (CredentialValidationException ex)
        {
            logger.LogWarning("The demo credential {CredentialId} was left without contact imports: {Errors}", credential.Id,
                string.Join(" ", ex.Validation.Errors.SelectMany(e => e.Value)));
        }
    }

    /// <summary>The demo contacts as Graph <c>contact</c> resources.</summary>
    internal static List<Dictionary<string, object?>> Contacts()
    {
        var people = new (string Given, string Surname, string? Email, string Company, string Title, string Department, string City)[]
        {
            ("Adele", "Vance", "adele.vance@fabrikam.example", "Fabrikam", "Retail Manager", "Retail", "Seattle"),
            ("Ben", "Walters", "ben.walters@fabrikam.example", "Fabrikam", "IT Administrator", "IT", "Seattle"),
            ("Cameron", "White", "cameron.white@fabrikam.example", "Fabrikam", "Accountant", "Finance", "Seattle"),
            ("Delia", "Dennis", "delia.dennis@fabrikam.example", "Fabrikam", "Marketing Assistant", "Marketing", "Redmond"),
            ("Diego", "Siciliani", "diego.siciliani@fabrikam.example", "Fabrikam", "HR Manager", "Human Resources", "Redmond"),
            ("Emily", "Braun", "emily.braun@fabrikam.example", "Fabrikam", "Budget Analyst", "Finance", "Redmond"),
            ("Enrico", "Cattaneo", "enrico.cattaneo@fabrikam.example", "Fabrikam", "Attorney", "Legal", "Bellevue"),
            ("Gerhart", "Moller", "gerhart.moller@fabrikam.example", "Fabrikam", "Auditor", "Finance", "Bellevue"),
            ("Grady", "Archie", "grady.archie@fabrikam.example", "Fabrikam", "Designer", "Research & Development", "Bellevue"),
            ("Henrietta", "Mueller", "henrietta.mueller@fabrikam.example", "Fabrikam", "Developer", "Research & Development", "Seattle"),
            ("Irvin", "Sayers", "irvin.sayers@fabrikam.example", "Fabrikam", "Director", "Research & Development", "Seattle"),
            ("Isaiah", "Langer", "isaiah.langer@fabrikam.example", "Fabrikam", "Sales Representative", "Sales", "Tacoma"),
            ("Johanna", "Lorenz", "johanna.lorenz@fabrikam.example", "Fabrikam", "Senior Engineer", "Engineering", "Tacoma"),
            ("Joni", "Sherman", "joni.sherman@fabrikam.example", "Fabrikam", "Paralegal", "Legal", "Tacoma"),
            ("Lee", "Gu", "lee.gu@northwind.example", "Northwind Traders", "Director", "Manufacturing", "London"),
            ("Lidia", "Holloway", "lidia.holloway@northwind.example", "Northwind Traders", "Product Manager", "Engineering", "London"),
            ("Lynne", "Robbins", "lynne.robbins@northwind.example", "Northwind Traders", "Planner", "Retail", "London"),
            ("Megan", "Bowen", "megan.bowen@northwind.example", "Northwind Traders", "Marketing Manager", "Marketing", "Manchester"),
            ("Miriam", "Graham", "miriam.graham@northwind.example", "Northwind Traders", "Director", "Sales & Marketing", "Manchester"),
            ("Nestor", "Wilke", "nestor.wilke@northwind.example", "Northwind Traders", "Director", "Operations", "Manchester"),
            ("Patti", "Fernandez", "patti.fernandez@northwind.example", "Northwind Traders", "President", "Executive Management", "London"),
            ("Pradeep", "Gupta", "pradeep.gupta@northwindtraders.example", "Northwind Traders", "Accountant", "Finance", "Leeds"),
            ("Raul", "Razo", "raul.razo@northwindtraders.example", "Northwind Traders", "Network Engineer", "IT", "Leeds"),
            ("Alan", "Steiner", "alan.steiner@northwindtraders.example", "Northwind Traders", "Warehouse Supervisor", "Operations", "Leeds"),
            ("Allan", "Deyoung", "allan.deyoung@northwindtraders.example", "Northwind Traders", "IT Technician", "IT", "Leeds"),
            ("Christie", "Cline", "christie.cline@northwind.example", "Northwind Traders", "Buyer", "Purchasing", "Bristol"),
            ("Debra", "Berger", "debra.berger@northwind.example", "Northwind Traders", "Administrative Assistant", "Executive Management", "Bristol"),
            ("Eduardo", "Lorca", "eduardo.lorca@tailspin.example", "Tailspin Toys", "Store Manager", "Retail", "Madrid"),
            ("Francesca", "Rossi", "francesca.rossi@tailspin.example", "Tailspin Toys", "Buyer", "Purchasing", "Milan"),
            ("Greta", "Lindqvist", "greta.lindqvist@tailspin.example", "Tailspin Toys", "Office Manager", "Operations", "Stockholm"),
            ("Hiro", "Tanaka", "hiro.tanaka@tailspin.example", "Tailspin Toys", "Logistics Coordinator", "Operations", "Osaka"),
            ("Ines", "Duarte", "ines.duarte@tailspin.example", "Tailspin Toys", "Finance Manager", "Finance", "Lisbon"),
            ("Jakob", "Novak", "jakob.novak@tailspin.example", "Tailspin Toys", "Sales Representative", "Sales", "Prague"),
            ("Kofi", "Mensah", "kofi.mensah@tailspin.example", "Tailspin Toys", "Customer Service Lead", "Support", "Accra"),
            ("Laura", "Nguyen", "laura@nguyen-consulting.example", "Nguyen Consulting", "Consultant", "Advisory", "Vancouver"),
            ("Marek", "Kowalski", "marek.k@freelance-design.example", "Freelance", "Graphic Designer", "Design", "Krakow"),
            ("Nadia", "Haddad", "nadia.haddad@wideworldimporters.example", "Wide World Importers", "Importer", "Purchasing", "Dubai"),
            ("Oscar", "Perez", "oscar.perez@wideworldimporters.example", "Wide World Importers", "Account Manager", "Sales", "Mexico City"),
            ("Quentin", "Moreau", null, "Fabrikam", "Courier", "Logistics", "Lyon"),
            ("Rosa", "Alvarez", null, "Tailspin Toys", "Cleaner", "Facilities", "Seville"),
        };
        return people.Select((p, i) =>
        {
            var contact = new Dictionary<string, object?>
            {
                ["givenName"] = p.Given,
                ["surname"] = p.Surname,
                ["displayName"] = $"{p.Given} {p.Surname}",
                ["companyName"] = p.Company,
                ["jobTitle"] = p.Title,
                ["department"] = p.Department,
                ["businessPhones"] = new[] { $"+1 425 555 {(0100 + i * 7) % 10000:0000}" },
                ["mobilePhone"] = i % 3 == 0 ? null : $"+1 206 555 {(0200 + i * 11) % 10000:0000}",
                ["businessAddress"] = new Dictionary<string, string> { ["street"] = $"{10 + i} Main Street", ["city"] = p.City, ["countryOrRegion"] = "" },
                ["emailAddresses"] = p.Email is null ? Array.Empty<object>() : new object[] { new Dictionary<string, string> { ["name"] = $"{p.Given} {p.Surname}", ["address"] = p.Email } },
            };
            if (i % 5 == 0)
            {
                contact["personalNotes"] = "Prefers to be contacted by email.";
            }

            return contact;
        }).ToList();
    }
}
