using HaloPortal.Engine.Connections;
using HaloPortal.Engine.Contacts;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Graph;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Monitoring;
using HaloPortal.Engine.Nodes;
using HaloPortal.Engine.Notifications;
using HaloPortal.Engine.Outbound;
using HaloPortal.Engine.Retention;
using HaloPortal.Engine.Rules;
using HaloPortal.Engine.Subscriptions;
using HaloPortal.Engine.Telemetry;
using HaloPortal.Engine.Tickets;
using HaloPortal.Engine.Tokens;
using HaloPortal.Engine.EndUsers;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Architecture;

/// <summary>
/// Each feature folder registers only its own services: what a feature's <c>Add…</c> extension puts into the container is
/// implemented in that feature (it may implement another feature's interface, as an observer does), so a feature's wiring
/// never hides another's.
/// </summary>
public class RegistrationTests
{
    public static TheoryData<string> Features => [.. Registrations.Keys];

    private static readonly Dictionary<string, Action<IServiceCollection>> Registrations = new()
    {
        ["Mailboxes"] = s => s.AddMailboxes(),
        ["Credentials"] = s => s.AddCredentials(),
        ["Tokens"] = s => s.AddTokens(),
        ["Graph"] = s => s.AddGraph(),
        ["Connections"] = s => s.AddCredentialConnections(),
        ["EndUsers"] = s => s.AddEndUsers(),
        ["Rules"] = s => s.AddRules(),
        ["Tickets"] = s => s.AddTickets(),
        ["Ingestion"] = s => s.AddIngestion(),
        ["Outbound"] = s => s.AddOutbound(),
        ["Notifications"] = s => s.AddNotifications(),
        ["Contacts"] = s => s.AddContacts(),
        ["Subscriptions"] = s => s.AddSubscriptions(),
        ["Nodes"] = s => s.AddNodes(),
        ["Monitoring"] = s => s.AddMonitoring(),
        ["Telemetry"] = s => s.AddTelemetry(),
        ["Retention"] = s => s.AddRetention(),
    };

    [Theory]
    [MemberData(nameof(Features))]
    public void A_feature_registers_only_services_it_implements(string feature)
    {
        var services = new ServiceCollection();
        Registrations[feature](services);

        var foreign = Foreign(services, feature);

        Assert.True(foreign.Count == 0, $"Add{feature} registers other features' services: {string.Join(", ", foreign)}");
    }

    [Fact]
    public void A_feature_that_registers_another_features_service_is_caught()
    {
        // As AddIngestion once did with the ticket queries and the email rules.
        var services = new ServiceCollection();
        services.AddIngestion();
        services.AddTickets();
        services.AddRules();

        Assert.Equal(["HaloPortal.Engine.Rules.EmailRules", "HaloPortal.Engine.Tickets.TicketQueries"], Foreign(services, "Ingestion").Order());
    }

    /// <summary>The engine types registered in <paramref name="services"/> that live outside <paramref name="feature"/>'s namespace.</summary>
    private static List<string> Foreign(IServiceCollection services, string feature)
    {
        var home = $"HaloPortal.Engine.{feature}";
        return services
            .Select(d => d.ImplementationType ?? d.ImplementationInstance?.GetType() ?? (d.ServiceType.IsInterface || d.ServiceType.IsAbstract ? null : d.ServiceType))
            .Where(t => t is not null && t.Namespace is { } ns && ns.StartsWith("HaloPortal.", StringComparison.Ordinal)
                        && ns != home && !ns.StartsWith(home + ".", StringComparison.Ordinal))
            .Select(t => t!.FullName!)
            .Distinct()
            .ToList();
    }
}
