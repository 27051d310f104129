using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Engine.Rules;

internal static class RulesExtensions
{
    /// <summary>Email rules.</summary>
    public static IServiceCollection AddRules(this IServiceCollection services) => services.AddSingleton<IEmailRules, EmailRules>();
}
