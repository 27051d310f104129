using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace HaloPortal.Engine.PostgreSql.Migrations
{
    /// <inheritdoc />
    public partial class UnfinishedEmailsIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_InboundEmails_Unfinished",
                table: "InboundEmails",
                column: "Stage",
                filter: "\"Stage\" <> 'Done'");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_InboundEmails_Unfinished",
                table: "InboundEmails");
        }
    }
}
