using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace HaloPortal.Engine.PostgreSql.Migrations
{
    /// <inheritdoc />
    public partial class MultiNode : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "ClaimExpiresAt",
                table: "OutboundMessages",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ClaimedBy",
                table: "OutboundMessages",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Node",
                table: "OutboundMessages",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "ClaimExpiresAt",
                table: "InboundRequests",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ClaimedBy",
                table: "InboundRequests",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Node",
                table: "InboundRequests",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "ClaimExpiresAt",
                table: "InboundEmails",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ClaimedBy",
                table: "InboundEmails",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Node",
                table: "InboundEmails",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Node",
                table: "ImportRuns",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "NodeInstance",
                table: "ImportRuns",
                type: "text",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "NodeLeases",
                columns: table => new
                {
                    Kind = table.Column<string>(type: "text", nullable: false),
                    Key = table.Column<string>(type: "text", nullable: false),
                    HolderInstance = table.Column<string>(type: "text", nullable: false),
                    HolderNode = table.Column<string>(type: "text", nullable: false),
                    AcquiredAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    ExpiresAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_NodeLeases", x => new { x.Kind, x.Key });
                });

            migrationBuilder.CreateTable(
                name: "PortalNodes",
                columns: table => new
                {
                    InstanceId = table.Column<string>(type: "text", nullable: false),
                    Name = table.Column<string>(type: "text", nullable: false),
                    StartedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    LastSeenAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    StoppedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PortalNodes", x => x.InstanceId);
                });

            migrationBuilder.CreateIndex(
                name: "IX_PortalNodes_LastSeenAt",
                table: "PortalNodes",
                column: "LastSeenAt");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "NodeLeases");

            migrationBuilder.DropTable(
                name: "PortalNodes");

            migrationBuilder.DropColumn(
                name: "ClaimExpiresAt",
                table: "OutboundMessages");

            migrationBuilder.DropColumn(
                name: "ClaimedBy",
                table: "OutboundMessages");

            migrationBuilder.DropColumn(
                name: "Node",
                table: "OutboundMessages");

            migrationBuilder.DropColumn(
                name: "ClaimExpiresAt",
                table: "InboundRequests");

            migrationBuilder.DropColumn(
                name: "ClaimedBy",
                table: "InboundRequests");

            migrationBuilder.DropColumn(
                name: "Node",
                table: "InboundRequests");

            migrationBuilder.DropColumn(
                name: "ClaimExpiresAt",
                table: "InboundEmails");

            migrationBuilder.DropColumn(
                name: "ClaimedBy",
                table: "InboundEmails");

            migrationBuilder.DropColumn(
                name: "Node",
                table: "InboundEmails");

            migrationBuilder.DropColumn(
                name: "Node",
                table: "ImportRuns");

            migrationBuilder.DropColumn(
                name: "NodeInstance",
                table: "ImportRuns");
        }
    }
}
