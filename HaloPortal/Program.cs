using HaloPortal.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddPortal();

var app = builder.Build();
app.UsePortal();
app.Run();

/// <summary>Entry point; public so integration tests can host the portal.</summary>
public partial class Program;
