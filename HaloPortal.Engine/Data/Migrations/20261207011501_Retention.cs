using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace HaloPortal.Engine.Data.Migrations
{
    /// <inheritdoc />
    public partial class Retention : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "RawPurgedAt",
                table: "InboundRequests",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "RawPurgedAt",
                table: "InboundEmails",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "RetentionSettings",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false),
                    RawMimeDays = table.Column<int>(type: "INTEGER", nullable: false),
                    RequestDataDays = table.Column<int>(type: "INTEGER", nullable: false),
                    RejectedNotificationDays = table.Column<int>(type: "INTEGER", nullable: false),
                    AuditDays = table.Column<int>(type: "INTEGER", nullable: false),
                    LastRunStartedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    LastRunFinishedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    LastRunBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    LastRunRawMimes = table.Column<int>(type: "INTEGER", nullable: false),
                    LastRunRequestData = table.Column<int>(type: "INTEGER", nullable: false),
                    LastRunRejectedNotifications = table.Column<int>(type: "INTEGER", nullable: false),
                    LastRunAuditEntries = table.Column<int>(type: "INTEGER", nullable: false),
                    LastRunMoreLeft = table.Column<bool>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RetentionSettings", x => x.Id);
                });

            migrationBuilder.InsertData(
                table: "RetentionSettings",
                columns: new[] { "Id", "AuditDays", "LastRunAuditEntries", "LastRunBy", "LastRunFinishedAt", "LastRunMoreLeft", "LastRunRawMimes", "LastRunRejectedNotifications", "LastRunRequestData", "LastRunStartedAt", "RawMimeDays", "RejectedNotificationDays", "RequestDataDays" },
                values: new object[] { 1, 365, 0, null, null, false, 0, 0, 0, null, 30, 14, 30 });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "RetentionSettings");

            migrationBuilder.DropColumn(
                name: "RawPurgedAt",
                table: "InboundRequests");

            migrationBuilder.DropColumn(
                name: "RawPurgedAt",
                table: "InboundEmails");
        }
    }
}
