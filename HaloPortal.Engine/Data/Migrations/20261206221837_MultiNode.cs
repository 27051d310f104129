using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace HaloPortal.Engine.Data.Migrations
{
    /// <inheritdoc />
    public partial class MultiNode : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "ClaimExpiresAt",
                table: "OutboundMessages",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ClaimedBy",
                table: "OutboundMessages",
                type: "TEXT",
                maxLength: 32,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Node",
                table: "OutboundMessages",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "ClaimExpiresAt",
                table: "InboundRequests",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ClaimedBy",
                table: "InboundRequests",
                type: "TEXT",
                maxLength: 32,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Node",
                table: "InboundRequests",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "ClaimExpiresAt",
                table: "InboundEmails",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ClaimedBy",
                table: "InboundEmails",
                type: "TEXT",
                maxLength: 32,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Node",
                table: "InboundEmails",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Node",
                table: "ImportRuns",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "NodeInstance",
                table: "ImportRuns",
                type: "TEXT",
                maxLength: 32,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "NodeLeases",
                columns: table => new
                {
                    Kind = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Key = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    HolderInstance = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    HolderNode = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    AcquiredAt = table.Column<long>(type: "INTEGER", nullable: false),
                    ExpiresAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_NodeLeases", x => new { x.Kind, x.Key });
                });

            migrationBuilder.CreateTable(
                name: "PortalNodes",
                columns: table => new
                {
                    InstanceId = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    StartedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    LastSeenAt = table.Column<long>(type: "INTEGER", nullable: false),
                    StoppedAt = table.Column<long>(type: "INTEGER", nullable: true)
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
