using HaloPortal.Engine.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace HaloPortal.Engine.PostgreSql;

/// <summary>
/// Lets <c>dotnet ef migrations add Name --project HaloPortal.Engine.PostgreSql --startup-project HaloPortal.Engine.PostgreSql</c>
/// build the PostgreSQL model without a running server (adding a migration never connects).
/// </summary>
public sealed class PostgreSqlDesignTimeFactory : IDesignTimeDbContextFactory<PortalDbContext>
{
    public PortalDbContext CreateDbContext(string[] args) =>
        new(PortalDatabase.Configure(new DbContextOptionsBuilder<PortalDbContext>(), DatabaseProvider.PostgreSql, "Host=localhost;Database=haloportal_design").Options);
}
