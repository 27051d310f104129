using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace HaloPortal.Engine.PostgreSql.Migrations
{
    /// <inheritdoc />
    public partial class Retention : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "RawPurgedAt",
                table: "InboundRequests",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "RawPurgedAt",
                table: "InboundEmails",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "RetentionSettings",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false),
                    RawMimeDays = table.Column<int>(type: "integer", nullable: false),
                    RequestDataDays = table.Column<int>(type: "integer", nullable: false),
                    RejectedNotificationDays = table.Column<int>(type: "integer", nullable: false),
                    AuditDays = table.Column<int>(type: "integer", nullable: false),
                    LastRunStartedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    LastRunFinishedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    LastRunBy = table.Column<string>(type: "text", nullable: true),
                    LastRunRawMimes = table.Column<int>(type: "integer", nullable: false),
                    LastRunRequestData = table.Column<int>(type: "integer", nullable: false),
                    LastRunRejectedNotifications = table.Column<int>(type: "integer", nullable: false),
                    LastRunAuditEntries = table.Column<int>(type: "integer", nullable: false),
                    LastRunMoreLeft = table.Column<bool>(type: "boolean", nullable: false)
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
