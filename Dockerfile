# HaloPortal: build and publish with the .NET SDK, run on the ASP.NET Core runtime as a non-root user.
#   docker build -t haloportal .
#   docker run -p 5080:5080 -v haloportal-data:/app/data -v haloportal-keys:/app/keys \
#     -e Portal__DataProtection__Certificate__Path=/app/keys/your-cert.pfx -e Portal__DataProtection__Certificate__Password=... haloportal
#   (or -e Portal__DataProtection__AllowGeneratedCertificate=true to let the portal generate its key-encryption certificate in /app/keys)
# or: docker compose up --build (see docker-compose.yml)

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src

# Restore first, from the project files alone, so the package layer is cached across source changes.
COPY Directory.Build.props Directory.Packages.props ./
COPY HaloPortal/HaloPortal.csproj HaloPortal/
COPY HaloPortal.Engine/HaloPortal.Engine.csproj HaloPortal.Engine/
COPY HaloPortal.Engine.PostgreSql/HaloPortal.Engine.PostgreSql.csproj HaloPortal.Engine.PostgreSql/
COPY HaloPortal.Sandbox/HaloPortal.Sandbox.csproj HaloPortal.Sandbox/
RUN dotnet restore HaloPortal/HaloPortal.csproj

COPY wwwroot-assets/ wwwroot-assets/
COPY HaloPortal.Engine/ HaloPortal.Engine/
COPY HaloPortal.Engine.PostgreSql/ HaloPortal.Engine.PostgreSql/
COPY HaloPortal.Sandbox/ HaloPortal.Sandbox/
COPY HaloPortal/ HaloPortal/
RUN dotnet publish HaloPortal/HaloPortal.csproj -c Release -o /out --no-restore -p:UseAppHost=false

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
# Content root /app; the embedded SQLite database (and the sandbox's) live in /app/data, the Data Protection key-encryption
# certificate in /app/keys: two volumes, so a copy of the database never carries the key that decrypts its secrets.
WORKDIR /app
ENV ASPNETCORE_HTTP_PORTS=5080 \
    ASPNETCORE_ENVIRONMENT=Production \
    DOTNET_NOLOGO=1
COPY --from=build /out .
# The image's non-root "app" user ($APP_UID) owns only the data and keys folders (keys: owner-only); the application files stay read-only to it.
RUN mkdir -p /app/data /app/keys && chown "$APP_UID" /app/data /app/keys && chmod 700 /app/keys
USER $APP_UID
VOLUME /app/data
VOLUME /app/keys
EXPOSE 5080
ENTRYPOINT ["dotnet", "HaloPortal.dll"]
