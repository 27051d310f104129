using System.Net;
using ICredentials = HaloPortal.Engine.Credentials.ICredentials;
using HaloPortal.Engine.Connections;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Errors;
using HaloPortal.Sandbox;
using HaloPortal.Tests.Credentials;
using HaloPortal.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HaloPortal.Tests.Security;

/// <summary>The sandbox is on by default only in Development; elsewhere only when enabled explicitly, with a warning.</summary>
public sealed class SandboxExposureTests
{
    [Fact]
    public async Task Sandbox_is_off_in_Staging_by_default_and_the_Sandbox_authority_is_refused()
    {
        using var app = new PortalAppFactory { EnvironmentName = "Staging" };
        app.Settings["Sandbox:Enabled"] = null;

        using var response = await app.CreateApiClient(apiKey: null).GetAsync("/sandbox/login/contoso.sandbox/v2.0/.well-known/openid-configuration");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var input = CredentialKit.ClientCredentials(Guid.NewGuid(), Guid.NewGuid(), "support@contoso.com", "a-secret-value~0123456789");
        var validation = app.Get<ICredentials>().Validate(input, existing: null);
        Assert.Equal(SandboxAuthority.DisabledMessage, Assert.Single(validation.For("authority")));
    }

    [Fact]
    public async Task Sandbox_is_on_in_Development_by_default()
    {
        using var app = new PortalAppFactory { EnvironmentName = "Development" };
        app.Settings["Sandbox:Enabled"] = null;
        _ = app.BaseAddress;
        var demo = await app.Services.GetRequiredService<ISandboxDemo>().GetAsync();

        using var response = await app.CreateApiClient(apiKey: null).GetAsync($"/sandbox/login/{demo!.TenantId}/v2.0/.well-known/openid-configuration");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Sandbox_enabled_explicitly_outside_Development_starts_with_a_warning()
    {
        var logs = new CapturedLogs();
        using var app = new PortalAppFactory { EnvironmentName = "Staging", ConfigureTestServices = s => s.AddSingleton<ILoggerProvider>(logs) };
        app.Settings["Sandbox:Enabled"] = "true";
        _ = app.BaseAddress;
        var demo = await app.Services.GetRequiredService<ISandboxDemo>().GetAsync();

        using var response = await app.CreateApiClient(apiKey: null).GetAsync($"/sandbox/login/{demo!.TenantId}/v2.0/.well-known/openid-configuration");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("Staging") && e.Message.Contains("Sandbox__Enabled=false"));
    }

    [Fact]
    public async Task A_sandbox_credential_shows_a_clear_error_once_the_sandbox_is_switched_off()
    {
        var data = SecurityKit.NewDataDirectory();
        try
        {
            var credentialId = 0;
            await SecurityKit.WithPortalAsync(data, _ => { }, async app => credentialId = await app.DemoCredentialIdAsync());

            await SecurityKit.WithPortalAsync(data, app => app.Settings["Sandbox:Enabled"] = "false", async app =>
            {
                Assert.Equal(KnownErrors.SandboxDisabled, (await app.Get<ICredentials>().GetAsync(credentialId))!.LastError?.Code);

                var result = await app.Get<ICredentialConnections>().TestAsync(credentialId);
                Assert.False(result.Ok);
                Assert.Equal(KnownErrors.SandboxDisabled, result.Error?.Code);
            });
        }
        finally
        {
            SecurityKit.Delete(data);
        }
    }
}
