// CalChat's login screen. `~name` finds an element by its accessibility id (content-desc on Android).
describe("login screen", () => {
  it("shows the login button", async () => {
    const button = await $("~login");
    expect(await button.isDisplayed()).toBe(true);
    expect(await button.isEnabled()).toBe(true);
  });

  it("takes a message", async () => {
    const input = await $("~message");
    await input.setValue("hello");
    expect(await input.getText()).toBe("hello");
  });
});
