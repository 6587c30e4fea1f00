/* Stripe checkout: Stripe.js's Payment Element confirms the Payment Intent Marquee created;
   Stripe then sends the buyer back to the booking page, and its webhook confirms the booking. */
(function () {
  "use strict";
  var form = document.getElementById("stripe-form");
  if (!form || !window.Stripe) { return; }
  var stripe = window.Stripe(form.dataset.publishableKey, { locale: form.dataset.language });
  var elements = stripe.elements({ clientSecret: form.dataset.clientSecret });
  elements.create("payment").mount("#payment-element");
  var button = document.getElementById("stripe-submit");
  var error = document.getElementById("stripe-error");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    error.textContent = "";
    stripe.confirmPayment({
      elements: elements,
      confirmParams: { return_url: form.dataset.returnUrl },
    }).then(function (result) {
      if (result && result.error) {
        error.textContent = result.error.message;
        button.disabled = false;
      }
    });
  });
})();
