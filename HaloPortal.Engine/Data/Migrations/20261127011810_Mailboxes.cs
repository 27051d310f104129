using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace HaloPortal.Engine.Data.Migrations
{
    /// <inheritdoc />
    public partial class Mailboxes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "Mailboxes",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    ConnectionType = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    IncomingEnabled = table.Column<bool>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    UpdatedAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Mailboxes", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "PendingAuthorisations",
                columns: table => new
                {
                    State = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    CredentialId = table.Column<int>(type: "INTEGER", nullable: false),
                    CodeVerifierProtected = table.Column<string>(type: "TEXT", nullable: false),
                    RedirectUri = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: false),
                    ReturnUrl = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: true),
                    StartedBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PendingAuthorisations", x => x.State);
                });

            migrationBuilder.CreateTable(
                name: "EmailSettings",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false),
                    DefaultOutgoingMailboxId = table.Column<int>(type: "INTEGER", nullable: true),
                    DefaultOutgoingMailboxName = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_EmailSettings", x => x.Id);
                    table.ForeignKey(
                        name: "FK_EmailSettings_Mailboxes_DefaultOutgoingMailboxId",
                        column: x => x.DefaultOutgoingMailboxId,
                        principalTable: "Mailboxes",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.SetNull);
                });

            migrationBuilder.CreateTable(
                name: "MailboxCredentials",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    MailboxId = table.Column<int>(type: "INTEGER", nullable: false),
                    Instance = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    AuthMethod = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    CredentialType = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    ProcessingMethod = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Authority = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    TenantId = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    ClientId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    ClientSecretProtected = table.Column<string>(type: "TEXT", nullable: true),
                    SecretExpiresAt = table.Column<long>(type: "INTEGER", nullable: true),
                    CertificateProtected = table.Column<string>(type: "TEXT", nullable: true),
                    CertificateThumbprint = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    CertificateSubject = table.Column<string>(type: "TEXT", maxLength: 512, nullable: true),
                    CertificateExpiresAt = table.Column<long>(type: "INTEGER", nullable: true),
                    FederatedTokenFile = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: true),
                    EmailAddress = table.Column<string>(type: "TEXT", maxLength: 320, nullable: true),
                    SharedMailbox = table.Column<string>(type: "TEXT", maxLength: 320, nullable: true),
                    UsesRbacForApplications = table.Column<bool>(type: "INTEGER", nullable: false),
                    ImportContacts = table.Column<bool>(type: "INTEGER", nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    ConnectedAddress = table.Column<string>(type: "TEXT", maxLength: 320, nullable: true),
                    ConnectedDisplayName = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    ConnectedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    TokenCacheProtected = table.Column<string>(type: "TEXT", nullable: true),
                    HomeAccountId = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    LastCheckedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    LastErrorCode = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    LastErrorMessage = table.Column<string>(type: "TEXT", nullable: true),
                    LastErrorAt = table.Column<long>(type: "INTEGER", nullable: true),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    UpdatedAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MailboxCredentials", x => x.Id);
                    table.ForeignKey(
                        name: "FK_MailboxCredentials_Mailboxes_MailboxId",
                        column: x => x.MailboxId,
                        principalTable: "Mailboxes",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.InsertData(
                table: "EmailSettings",
                columns: new[] { "Id", "DefaultOutgoingMailboxId", "DefaultOutgoingMailboxName" },
                values: new object[] { 1, null, null });

            migrationBuilder.CreateIndex(
                name: "IX_EmailSettings_DefaultOutgoingMailboxId",
                table: "EmailSettings",
                column: "DefaultOutgoingMailboxId");

            migrationBuilder.CreateIndex(
                name: "IX_MailboxCredentials_MailboxId_Instance",
                table: "MailboxCredentials",
                columns: new[] { "MailboxId", "Instance" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Mailboxes_Name",
                table: "Mailboxes",
                column: "Name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_PendingAuthorisations_CreatedAt",
                table: "PendingAuthorisations",
                column: "CreatedAt");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "EmailSettings");

            migrationBuilder.DropTable(
                name: "MailboxCredentials");

            migrationBuilder.DropTable(
                name: "PendingAuthorisations");

            migrationBuilder.DropTable(
                name: "Mailboxes");
        }
    }
}
