using HaloPortal.Engine.EndUsers;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Engine.Contacts;

internal static class ContactsExtensions
{
    /// <summary>Contact mappings and contact imports with their schedule.</summary>
    public static IServiceCollection AddContacts(this IServiceCollection services)
    {
        services.AddOptions<ContactsOptions>().BindConfiguration(ContactsOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ContactImportEvents>();
        services.AddSingleton<Nodes.IChangeTopic>(sp => sp.GetRequiredService<ContactImportEvents>());
        services.AddSingleton<IContactMappings, ContactMappingService>();
        services.AddSingleton<IContactImports, ContactImporter>();
        services.AddTransient<ContactImportJob>();
        services.AddHostedService<ContactScheduleSync>();
        return services;
    }
}
