describe("login", () => {
  it("opens", async () => {});
});
