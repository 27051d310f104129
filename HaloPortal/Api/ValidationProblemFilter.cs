using System.Diagnostics;
using HaloPortal.Engine.Credentials;

namespace HaloPortal.Api;

/// <summary>
/// Turns user-fixable engine failures into problem details: <see cref="CredentialValidationException"/> and the deliberate
/// <see cref="ArgumentException"/>s of HaloPortal's own validation → 400 naming the field, <see cref="KeyNotFoundException"/>
/// → 404. Anything else — including an <see cref="ArgumentException"/> thrown by the runtime (a duplicate dictionary key, a
/// guard clause) — is a defect, not bad input: it is logged and answered 500 with a trace id that finds the log entry.
/// </summary>
internal sealed class ValidationProblemFilter(ILogger<ValidationProblemFilter> logger) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (CredentialValidationException ex)
        {
            return TypedResults.ValidationProblem(
                ex.Validation.Errors.ToDictionary(e => e.Key, e => e.Value.ToArray()),
                detail: "The credential has errors; each field says what to change.");
        }
        catch (ArgumentException ex) when (IsDeliberate(ex))
        {
            var field = ex.ParamName!;
            var message = ex.Message.Replace($" (Parameter '{ex.ParamName}')", "", StringComparison.Ordinal);
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, detail: message);
        }
        catch (KeyNotFoundException ex) when (IsOurs(ex))
        {
            return TypedResults.Problem(title: "Not found", detail: ex.Message, statusCode: StatusCodes.Status404NotFound);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !context.HttpContext.RequestAborted.IsCancellationRequested)
        {
            var http = context.HttpContext;
            var traceId = Activity.Current?.Id ?? http.TraceIdentifier;
            logger.LogError(ex, "Unexpected error in {Method} {Path} (trace {TraceId})", http.Request.Method, http.Request.Path, traceId);
            return TypedResults.Problem(
                title: "An unexpected error occurred",
                detail: $"The request could not be completed because of an internal error ({ex.GetType().Name}). It was logged with trace id {traceId}; give that id when reporting it.",
                statusCode: StatusCodes.Status500InternalServerError,
                extensions: new Dictionary<string, object?> { ["traceId"] = traceId });
        }
    }

    /// <summary>
    /// A validation failure the user can fix: a plain <see cref="ArgumentException"/> that HaloPortal's own code threw with the
    /// name of the field at fault. Subclasses (null or out-of-range guards) and exceptions thrown inside the runtime are defects.
    /// </summary>
    internal static bool IsDeliberate(ArgumentException ex) =>
        ex.GetType() == typeof(ArgumentException) && !string.IsNullOrEmpty(ex.ParamName) && IsOurs(ex);

    private static bool IsOurs(Exception ex) =>
        ex.TargetSite?.DeclaringType?.Assembly.GetName().Name is { } assembly && assembly is "HaloPortal" or "HaloPortal.Engine";
}
