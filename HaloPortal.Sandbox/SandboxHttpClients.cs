namespace HaloPortal.Sandbox;

/// <summary>Named HttpClients of the sandbox. Outbound requests go through the connector so virtual sandbox hosts resolve too.</summary>
internal static class SandboxHttpClients
{
    /// <summary>Webhook validation, notification delivery and federated issuers' metadata.</summary>
    public const string Outbound = "HaloPortal.Sandbox.Outbound";
}
