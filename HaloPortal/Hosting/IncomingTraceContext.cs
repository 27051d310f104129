using System.Diagnostics;
using OpenTelemetry.Context.Propagation;

namespace HaloPortal.Hosting;

/// <summary>
/// Where a request's trace begins. The portal's webhook endpoint is anonymous and public: a caller sending <c>traceparent</c>,
/// <c>tracestate</c> or <c>baggage</c> would otherwise choose the trace id of the work it causes (colliding with another trace,
/// or forcing it sampled) and put its own baggage into the portal's logs and outgoing calls. Unless
/// <c>Portal:Tracing:TrustIncomingContext</c> says an upstream gateway starts the traces, every request starts a trace of its own;
/// outgoing calls (Graph) still carry the portal's context.
/// </summary>
internal static class IncomingTraceContext
{
    public static void Ignore(IServiceCollection services)
    {
        // ASP.NET Core's hosting takes the propagator from the container to start each request's activity...
        services.AddSingleton<DistributedContextPropagator>(new OutgoingOnlyPropagator(DistributedContextPropagator.Current));

        // ...and OpenTelemetry's ASP.NET Core instrumentation extracts the headers again with its own default propagator (and sets
        // Baggage.Current from them). The default is process-wide; a process hosts one portal in production.
        OpenTelemetry.Sdk.SetDefaultTextMapPropagator(new OutgoingOnlyTextMapPropagator(
            new CompositeTextMapPropagator([new TraceContextPropagator(), new BaggagePropagator()])));
    }

    /// <summary>Injects as <paramref name="inner"/> does; extracts nothing.</summary>
    private sealed class OutgoingOnlyPropagator(DistributedContextPropagator inner) : DistributedContextPropagator
    {
        public override IReadOnlyCollection<string> Fields => inner.Fields;

        public override void Inject(Activity? activity, object? carrier, PropagatorSetterCallback? setter) => inner.Inject(activity, carrier, setter);

        public override void ExtractTraceIdAndState(object? carrier, PropagatorGetterCallback? getter, out string? traceId, out string? traceState)
        {
            traceId = null;
            traceState = null;
        }

        public override IEnumerable<KeyValuePair<string, string?>>? ExtractBaggage(object? carrier, PropagatorGetterCallback? getter) => null;
    }

    /// <summary>OpenTelemetry's counterpart: injects as <paramref name="inner"/> does; extraction returns the context it was given.</summary>
    private sealed class OutgoingOnlyTextMapPropagator(TextMapPropagator inner) : TextMapPropagator
    {
        public override ISet<string>? Fields => inner.Fields;

        public override void Inject<T>(PropagationContext context, T carrier, Action<T, string, string> setter) => inner.Inject(context, carrier, setter);

        public override PropagationContext Extract<T>(PropagationContext context, T carrier, Func<T, string, IEnumerable<string>?> getter) => context;
    }
}
