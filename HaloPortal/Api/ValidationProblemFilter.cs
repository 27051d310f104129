using HaloPortal.Engine.Credentials;

namespace HaloPortal.Api;

/// <summary>
/// Turns user-fixable engine failures into problem details: <see cref="ArgumentException"/> and
/// <see cref="CredentialValidationException"/> → 400 naming the field, <see cref="KeyNotFoundException"/> → 404.
/// </summary>
internal sealed class ValidationProblemFilter : IEndpointFilter
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
        catch (ArgumentException ex)
        {
            var field = string.IsNullOrEmpty(ex.ParamName) ? "request" : ex.ParamName;
            var message = ex.ParamName is null ? ex.Message : ex.Message.Replace($" (Parameter '{ex.ParamName}')", "", StringComparison.Ordinal);
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, detail: message);
        }
        catch (KeyNotFoundException ex)
        {
            return TypedResults.Problem(title: "Not found", detail: ex.Message, statusCode: StatusCodes.Status404NotFound);
        }
    }
}
