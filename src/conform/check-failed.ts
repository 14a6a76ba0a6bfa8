// A check's verdict "fail", with the one-line reason the table and the JUnit report show.
export class CheckFailed extends Error {}
