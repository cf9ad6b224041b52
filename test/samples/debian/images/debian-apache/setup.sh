#!/bin/sh
# Runs in the build chroot after apache2 is installed: what the official image's Dockerfile does
# (logs to the container's stdout/stderr, a ServerName, mod_rewrite on, www-data owns the docroot).
set -eu
chmod 0755 /usr/local/bin/docker-php-entrypoint /usr/local/bin/apache2-foreground
ln -sfT /dev/stderr /var/log/apache2/error.log
ln -sfT /dev/stdout /var/log/apache2/access.log
ln -sfT /dev/stdout /var/log/apache2/other_vhosts_access.log
echo 'ServerName localhost' > /etc/apache2/conf-available/servername.conf
a2enconf servername >/dev/null
a2enmod rewrite >/dev/null
chown -R www-data:www-data /var/www/html
