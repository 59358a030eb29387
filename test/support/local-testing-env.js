// Jest setup file (jest.config.js, both projects): every test runs as local testing. Webhook receivers, fake HTTP
// providers and the fake Mailchimp listen on 127.0.0.1, which outbound requests reach only with
// REFINERY_ALLOW_PRIVATE_DESTINATIONS=1 (libs/outbound). It is set in each test file's own environment, and child
// processes started with it (the `refinery` command, the emulator's functions) inherit it. The tests of the refusal
// itself delete it and restore it afterwards.
process.env.REFINERY_ALLOW_PRIVATE_DESTINATIONS = '1';
