using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Engine.Tickets;

internal static class TicketsExtensions
{
    /// <summary>Reading tickets: the list, a ticket with its thread, attachments.</summary>
    public static IServiceCollection AddTickets(this IServiceCollection services) => services.AddSingleton<ITickets, TicketQueries>();
}
