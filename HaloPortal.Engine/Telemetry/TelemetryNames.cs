namespace HaloPortal.Engine.Telemetry;

/// <summary>
/// The names the web host subscribes to: the engine's one <c>Meter</c> and one <c>ActivitySource</c>. Constants, so metric
/// and trace pipelines are configured without reaching into the engine's implementation.
/// </summary>
public static class TelemetryNames
{
    /// <summary>The engine's meter (every <c>haloportal.*</c> instrument).</summary>
    public const string Meter = "HaloPortal";

    /// <summary>The engine's activity source (webhook intake and each email's pipeline).</summary>
    public const string ActivitySource = "HaloPortal";
}
