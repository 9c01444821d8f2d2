//! The crm command: run the platform, one service, migrations, dev tokens
