namespace HaloPortal.Api;

/// <summary>Turns a user-fixable <see cref="ArgumentException"/> from an engine service into a 400 problem.</summary>
internal sealed class ValidationProblemFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (ArgumentException ex)
        {
            var field = string.IsNullOrEmpty(ex.ParamName) ? "request" : ex.ParamName;
            var message = ex.ParamName is null ? ex.Message : ex.Message.Replace($" (Parameter '{ex.ParamName}')", "", StringComparison.Ordinal);
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, detail: message);
        }
    }
}
