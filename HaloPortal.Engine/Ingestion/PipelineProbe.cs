namespace HaloPortal.Engine.Ingestion;

/// <summary>
/// Observes the pipeline at its crash-relevant points. Production registers <see cref="NoPipelineProbe"/>; crash tests
/// register one that throws at a chosen point to prove that a crash there loses nothing and makes no second ticket.
/// </summary>
internal interface IPipelineProbe
{
    /// <summary>After a stage ("discovered", "fetched", "decided", "side-effects") committed for an email.</summary>
    Task AfterStageAsync(string stage, long emailId);

    /// <summary>Before an email is decided, inside the decision's transaction (one bad email must hold back no other).</summary>
    Task BeforeDecideAsync(long emailId);
}

/// <summary>The production probe: observes nothing.</summary>
internal sealed class NoPipelineProbe : IPipelineProbe
{
    public Task AfterStageAsync(string stage, long emailId) => Task.CompletedTask;

    public Task BeforeDecideAsync(long emailId) => Task.CompletedTask;
}
