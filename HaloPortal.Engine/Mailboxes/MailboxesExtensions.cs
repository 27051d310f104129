using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Engine.Mailboxes;

internal static class MailboxesExtensions
{
    /// <summary>Mailboxes and their incoming settings.</summary>
    public static IServiceCollection AddMailboxes(this IServiceCollection services)
    {
        services.AddSingleton<MailboxService>();
        services.AddSingleton<IMailboxes>(sp => sp.GetRequiredService<MailboxService>());
        services.AddSingleton<Credentials.ICredentialOwners>(sp => sp.GetRequiredService<MailboxService>());
        services.AddSingleton<Nodes.IChangeTopic>(sp => sp.GetRequiredService<MailboxService>());
        return services;
    }
}
