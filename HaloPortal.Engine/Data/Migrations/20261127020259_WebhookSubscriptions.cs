using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace HaloPortal.Engine.Data.Migrations
{
    /// <inheritdoc />
    public partial class WebhookSubscriptions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "GraphSubscriptions",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    CredentialId = table.Column<int>(type: "INTEGER", nullable: false),
                    GraphSubscriptionId = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    Resource = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: false),
                    ChangeType = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    NotificationUrl = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    ExpiresAt = table.Column<long>(type: "INTEGER", nullable: false),
                    ClientStateProtected = table.Column<string>(type: "TEXT", nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    LastNotificationAt = table.Column<long>(type: "INTEGER", nullable: true),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    CancelledAt = table.Column<long>(type: "INTEGER", nullable: true),
                    RenewalFailures = table.Column<int>(type: "INTEGER", nullable: false),
                    NextRenewalAttemptAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_GraphSubscriptions", x => x.Id);
                    table.ForeignKey(
                        name: "FK_GraphSubscriptions_MailboxCredentials_CredentialId",
                        column: x => x.CredentialId,
                        principalTable: "MailboxCredentials",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "SubscriptionRenewals",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    SubscriptionId = table.Column<int>(type: "INTEGER", nullable: false),
                    At = table.Column<long>(type: "INTEGER", nullable: false),
                    Trigger = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Succeeded = table.Column<bool>(type: "INTEGER", nullable: false),
                    PreviousExpiry = table.Column<long>(type: "INTEGER", nullable: true),
                    NewExpiry = table.Column<long>(type: "INTEGER", nullable: true),
                    ErrorCode = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    Error = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SubscriptionRenewals", x => x.Id);
                    table.ForeignKey(
                        name: "FK_SubscriptionRenewals_GraphSubscriptions_SubscriptionId",
                        column: x => x.SubscriptionId,
                        principalTable: "GraphSubscriptions",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_GraphSubscriptions_CredentialId_Status",
                table: "GraphSubscriptions",
                columns: new[] { "CredentialId", "Status" });

            migrationBuilder.CreateIndex(
                name: "IX_GraphSubscriptions_GraphSubscriptionId",
                table: "GraphSubscriptions",
                column: "GraphSubscriptionId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_SubscriptionRenewals_SubscriptionId_At",
                table: "SubscriptionRenewals",
                columns: new[] { "SubscriptionId", "At" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "SubscriptionRenewals");

            migrationBuilder.DropTable(
                name: "GraphSubscriptions");
        }
    }
}
